"""``awsglue.job.Job``: init at the start of a run, commit at its successful end."""

from awsglue import record

__all__ = ["Job"]


class Job:
    def __init__(self, glue_context) -> None:
        self._glue_context = glue_context

    def init(self, job_name: str, args: dict | None = None) -> None:
        record("init", job_name=job_name, args=dict(args or {}))

    def commit(self) -> None:
        record("commit")
