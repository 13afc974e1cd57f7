"""Stand-in for AWS Glue's ``awsglue`` library, which exists only inside Glue.

The Glue artifact test (tests/artifacts/python-artifacts.test.ts) puts this directory on the job's Python
path so that etl/job.py takes its Glue branch (GlueContext, Job.init, Job.commit) as it does in Glue. Only
the calls the job makes are provided, with the signatures of awslabs/aws-glue-libs; each call is appended as
one JSON line to the file named by ``WARECAST_GLUE_CALLS`` so the test can check the job's start and commit.
"""

import json
import os

__all__ = ["record"]


def record(call: str, **details: object) -> None:
    with open(os.environ["WARECAST_GLUE_CALLS"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"call": call, **details}) + "\n")
