"""etl/catalog.py with boto3 on moto: new partitions registered from the store, idempotent, loud on failure.

The job hands registration its processed Storage (Hadoop's listing of s3://); here a store over moto's S3
stands in for it (tests/artifacts/glue-job.test.ts runs the job itself, with its Storage)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import boto3
import pytest
from botocore.exceptions import ClientError

from etl.catalog import PartitionRegistrationError, partition_dir, register_partitions

KEYS = {
    "demand_daily": ["warehouse_id", "month"],
    "series_state": ["warehouse_id"],
    "quarantine": ["run_id"],
}


@dataclass(frozen=True)
class _Object:
    key: str


class _S3Store:
    """The processed store as etl.storage.Storage presents it: a root URI and the files under a prefix."""

    def __init__(self, s3, bucket: str) -> None:
        self._s3, self._bucket, self.root = s3, bucket, f"s3://{bucket}"

    def list_files(self, prefix: str) -> list[_Object]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
        return [_Object(o["Key"]) for page in pages for o in page.get("Contents", [])]


@pytest.fixture
def aws(moto_endpoint: str):
    glue = boto3.client("glue", endpoint_url=moto_endpoint)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    name = f"t{uuid.uuid4().hex[:10]}"
    bucket, database = f"{name}-processed", f"{name}_etl"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    glue.create_database(DatabaseInput={"Name": database})
    for table, keys in KEYS.items():
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": table,
                "PartitionKeys": [{"Name": k, "Type": "string"} for k in keys],
                "StorageDescriptor": {
                    "Columns": [{"Name": "sku", "Type": "string"}],
                    "Location": f"s3://{bucket}/{table}/",
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    },
                },
            },
        )
    return glue, s3, bucket, database, _S3Store(s3, bucket)


def _write(s3, bucket: str, *keys: str) -> None:
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"PAR1")


def _partitions(glue, database: str, table: str) -> dict[tuple[str, ...], str]:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    return {
        tuple(p["Values"]): p["StorageDescriptor"]["Location"] for page in pages for p in page["Partitions"]
    }


def test_registers_what_s3_holds_and_the_catalog_lacks_then_nothing(aws) -> None:
    glue, s3, bucket, database, store = aws
    _write(
        s3,
        bucket,
        "demand_daily/warehouse_id=WH1/month=2024-01/part-0.parquet",
        "demand_daily/warehouse_id=WH1/month=2024-01/part-1.parquet",
        "demand_daily/warehouse_id=WH%202/month=2024-02/part-0.parquet",
        "demand_daily/_SUCCESS",
        "series_state/warehouse_id=WH1/part-0.parquet",
        "quarantine/run_id=r1/part-0.parquet",
    )
    assert register_partitions(glue, store, database) == {
        "demand_daily": 2,
        "series_state": 1,
        "quarantine": 1,
    }
    assert _partitions(glue, database, "demand_daily") == {
        ("WH1", "2024-01"): f"s3://{bucket}/demand_daily/warehouse_id=WH1/month=2024-01/",
        # Spark escapes the space in the directory; the partition value is the warehouse id itself.
        ("WH 2", "2024-02"): f"s3://{bucket}/demand_daily/warehouse_id=WH%202/month=2024-02/",
    }
    created = glue.get_partition(DatabaseName=database, TableName="quarantine", PartitionValues=["r1"])[
        "Partition"
    ]
    assert created["StorageDescriptor"]["InputFormat"].endswith("MapredParquetInputFormat")
    # A second run with nothing new registers nothing; a later run adds only its own partitions.
    assert register_partitions(glue, store, database) == {
        "demand_daily": 0,
        "series_state": 0,
        "quarantine": 0,
    }
    _write(s3, bucket, "quarantine/run_id=r2/part-0.parquet")
    assert register_partitions(glue, store, database, ["quarantine"]) == {"quarantine": 1}
    assert set(_partitions(glue, database, "quarantine")) == {("r1",), ("r2",)}


def test_more_partitions_than_one_batch(aws) -> None:
    glue, s3, bucket, database, store = aws
    _write(s3, bucket, *(f"quarantine/run_id=r{i:03d}/part-0.parquet" for i in range(130)))
    assert register_partitions(glue, store, database, ["quarantine"]) == {"quarantine": 130}
    assert len(_partitions(glue, database, "quarantine")) == 130


def test_a_table_it_cannot_read_fails_the_run(aws) -> None:
    glue, _, _, database, store = aws
    with pytest.raises(ClientError, match="EntityNotFoundException"):
        register_partitions(glue, store, database, ["no_such_table"])


class _RefusingGlue:
    """The real client, except that BatchCreatePartition reports one refused partition."""

    def __init__(self, glue, code: str) -> None:
        self._glue, self._code = glue, code

    def __getattr__(self, name: str):
        return getattr(self._glue, name)

    def batch_create_partition(self, **kwargs):
        first = kwargs["PartitionInputList"][0]["Values"]
        return {
            "Errors": [
                {"PartitionValues": first, "ErrorDetail": {"ErrorCode": self._code, "ErrorMessage": "no"}}
            ]
        }


def test_a_refused_partition_fails_the_run_but_one_that_exists_already_does_not(aws) -> None:
    glue, s3, bucket, database, store = aws
    _write(s3, bucket, "series_state/warehouse_id=WH1/part-0.parquet")
    with pytest.raises(
        PartitionRegistrationError, match=r"series_state: 1 partition\(s\) not registered.*AccessDenied"
    ):
        register_partitions(_RefusingGlue(glue, "AccessDeniedException"), store, database, ["series_state"])
    # Registered meanwhile by a concurrent run: not an error.
    assert register_partitions(
        _RefusingGlue(glue, "AlreadyExistsException"), store, database, ["series_state"]
    ) == {"series_state": 1}


def test_a_table_outside_the_store_fails_the_run(aws) -> None:
    glue, s3, _, database, _ = aws
    elsewhere = _S3Store(s3, "another-bucket")
    with pytest.raises(
        PartitionRegistrationError, match=r"quarantine: location s3://.*-processed/quarantine/ is outside"
    ):
        register_partitions(glue, elsewhere, database, ["quarantine"])


def test_partition_dir_reads_only_files_at_the_partition_level() -> None:
    names = ["warehouse_id", "month"]
    assert partition_dir("demand_daily/warehouse_id=WH1/month=2024-01/p.parquet", "demand_daily/", names) == (
        ("WH1", "2024-01"),
        "demand_daily/warehouse_id=WH1/month=2024-01/",
    )
    for key in [
        "demand_daily/_SUCCESS",
        "demand_daily/warehouse_id=WH1/p.parquet",
        "demand_daily/warehouse_id=WH1/month=2024-01/_SUCCESS",
        "demand_daily/month=2024-01/warehouse_id=WH1/p.parquet",
        "demand_daily/warehouse_id=/month=2024-01/p.parquet",
        "demand_daily/_temporary/0/warehouse_id=WH1/month=2024-01/p.parquet",
        "series_state/warehouse_id=WH1/month=2024-01/p.parquet",
    ]:
        assert partition_dir(key, "demand_daily/", names) is None, key
