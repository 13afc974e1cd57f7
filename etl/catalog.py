"""Registering the processed tables' new partitions in the Glue Data Catalog, through the Glue API.

Spark's ``MSCK REPAIR TABLE`` reaches the catalog through Hive, which needs the catalog's ``default``
database; the job's role may touch only its own database, and a repair that failed was a warning nobody
saw. So the job lists the partition directories its tables hold in the processed store (the same
listing it reads its manifests with) and creates the partitions the catalog lacks (BatchCreatePartition),
each with its table's own storage descriptor. Any error fails the run. The data is committed by then, so
the next run registers whatever is still missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from urllib.parse import unquote

__all__ = [
    "BATCH_SIZE",
    "PARTITIONED_TABLES",
    "PartitionRegistrationError",
    "Store",
    "partition_dir",
    "register_partitions",
]

log = logging.getLogger(__name__)

PARTITIONED_TABLES = ("demand_daily", "series_state", "quarantine")
"""The processed tables with partitions to register (raw_events uses partition projection)."""

BATCH_SIZE = 100
"""BatchCreatePartition takes at most 100 partitions per call."""


class PartitionRegistrationError(RuntimeError):
    """The catalog refused partitions the job wrote: the run fails, so the failure alarm fires."""


class _Listed(Protocol):
    key: str


class Store(Protocol):
    """What registration needs of the processed store (etl.storage.Storage): its root and its files."""

    root: str

    def list_files(self, prefix: str) -> Sequence[_Listed]: ...


def partition_dir(key: str, prefix: str, names: Sequence[str]) -> tuple[tuple[str, ...], str] | None:
    """The partition values and the directory of one data file, or None for anything else.

    ``demand_daily/warehouse_id=WH%201/month=2024-01/part-0.parquet`` under ``demand_daily/`` with
    names ``(warehouse_id, month)`` gives
    ``(("WH 1", "2024-01"), "demand_daily/warehouse_id=WH%201/month=2024-01/")``. Spark escapes special
    characters in directory names as ``%XX``; the values are unescaped, the directory is not. Markers
    (``_SUCCESS``), temporary directories and files above the partition level are not partitions.
    """
    if not names or not key.startswith(prefix):
        return None
    parts = key[len(prefix) :].split("/")
    if len(parts) != len(names) + 1 or parts[-1].startswith(("_", ".")) or not parts[-1]:
        return None
    values = []
    for name, part in zip(names, parts, strict=False):
        field, sep, value = part.partition("=")
        if field != name or not sep or not value:
            return None
        values.append(unquote(value))
    return tuple(values), prefix + "/".join(parts[:-1]) + "/"


def _store_prefix(store: Store, database: str, table: str, location: str) -> str:
    """The table's prefix in the store; its catalog location must be inside the store the job wrote."""
    root = store.root.rstrip("/") + "/"
    location = location if location.endswith("/") else location + "/"
    if not location.startswith(root):
        raise PartitionRegistrationError(
            f"{database}.{table}: location {location} is outside the processed store {store.root}"
        )
    return location[len(root) :]


def _in_store(store: Store, prefix: str, names: Sequence[str]) -> dict[tuple[str, ...], str]:
    found: dict[tuple[str, ...], str] = {}
    for obj in store.list_files(prefix):
        hit = partition_dir(obj.key, prefix, names)
        if hit:
            found.setdefault(hit[0], hit[1])
    return found


def _in_catalog(glue: Any, database: str, table: str) -> set[tuple[str, ...]]:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    return {tuple(p["Values"]) for page in pages for p in page.get("Partitions", [])}


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def register_partitions(
    glue: Any, store: Store, database: str, tables: Sequence[str] = PARTITIONED_TABLES
) -> dict[str, int]:
    """Creates every partition of ``tables`` that ``store`` holds and the catalog lacks; returns how many
    per table.

    ``glue`` is a boto3 client, ``store`` the processed store the tables live in. Raises
    ``PartitionRegistrationError`` (or botocore's ``ClientError`` for a table it cannot read) instead of
    logging and going on.
    """
    added: dict[str, int] = {}
    for table in tables:
        spec = glue.get_table(DatabaseName=database, Name=table)["Table"]
        descriptor = spec["StorageDescriptor"]
        names = [k["Name"] for k in spec.get("PartitionKeys", [])]
        if not names:
            raise PartitionRegistrationError(f"{database}.{table} has no partition keys")
        prefix = _store_prefix(store, database, table, descriptor["Location"])
        registered = _in_catalog(glue, database, table)
        found = _in_store(store, prefix, names)
        missing = sorted((values, path) for values, path in found.items() if values not in registered)
        for batch in _batches(missing, BATCH_SIZE):
            response = glue.batch_create_partition(
                DatabaseName=database,
                TableName=table,
                PartitionInputList=[
                    {
                        "Values": list(values),
                        "StorageDescriptor": {**descriptor, "Location": f"{store.root.rstrip('/')}/{path}"},
                    }
                    for values, path in batch
                ],
            )
            # A concurrent registration of the same partition is fine; anything else is not.
            errors = [
                e
                for e in response.get("Errors", [])
                if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"
            ]
            if errors:
                first, detail = errors[0], errors[0]["ErrorDetail"]
                raise PartitionRegistrationError(
                    f"{database}.{table}: {len(errors)} partition(s) not registered, "
                    f"e.g. {first['PartitionValues']}: {detail['ErrorCode']}: {detail.get('ErrorMessage')}"
                )
        added[table] = len(missing)
        log.info("catalog %s.%s: %d new partition(s) registered", database, table, len(missing))
    return added
