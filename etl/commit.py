"""Atomic runs: every table is written to a staging area, the manifest commits, then files move into place.

A run writes all of its output under ``_staging/<run_id>/<table>/`` (the ``_`` keeps it out of every reader's
listing: Spark, Athena, the predict function and the training channel read the tables' own prefixes). Before
committing it records, in ``_staging/<run_id>/journal.json``, every staged file and what each table's files
replace: the partitions it staged (dynamic partition overwrite, as before) or, for ``--reprocess``, the whole
table. Writing ``runs/<run_id>.json`` is the commit. Then :func:`apply` moves the staged files into place and
deletes the files they replace.

A crash before the manifest leaves nothing visible: the next run deletes the staging area (:func:`recover`). A
crash after it leaves a committed run whose files are partly moved: the next run finishes the move first
(every step of :func:`apply` can be repeated). Readers only ever see committed data; while files move
(seconds), a reader that lists a table may see a partition's new files beside the old ones (docs/etl.md,
"Guarantees").
"""

from __future__ import annotations

import json
import logging
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from etl.storage import Storage

__all__ = ["STAGING_PREFIX", "WHOLE_TABLE", "Staging", "apply", "recover"]

log = logging.getLogger("warecast.etl")

STAGING_PREFIX = "_staging/"
WHOLE_TABLE = "table"
"""Scope of a table whose staged files replace all of it (``--reprocess``)."""
PARTITIONS = "partitions"
"""Scope of a table whose staged files replace only the partitions they are in."""


@dataclass(frozen=True)
class Staging:
    """Where one run writes its tables before it commits."""

    processed: Storage
    run_id: str

    @property
    def key(self) -> str:
        return f"{STAGING_PREFIX}{self.run_id}"

    def uri(self, table: str) -> str:
        return self.processed.uri(f"{self.key}/{table}")

    def exists(self, table: str) -> bool:
        return self.processed.exists(f"{self.key}/{table}")

    def write_journal(self, scopes: Mapping[str, str]) -> dict[str, Any]:
        """Records the staged files of each table and what they replace; call it right before committing."""
        tables = {}
        for table, scope in scopes.items():
            files = [
                o.key[len(f"{self.key}/{table}/") :]
                for o in self.processed.list_files(f"{self.key}/{table}/")
                if o.key.endswith(".parquet")
            ]
            tables[table] = {"scope": scope, "files": files}
        journal = {"run_id": self.run_id, "tables": tables}
        self.processed.write_text(f"{self.key}/journal.json", json.dumps(journal) + "\n")
        return journal


def apply(processed: Storage, journal: Mapping[str, Any]) -> None:
    """Moves a committed run's staged files into place and deletes what they replace. Idempotent."""
    staging = f"{STAGING_PREFIX}{journal['run_id']}"
    for table, entry in journal["tables"].items():
        files: Sequence[str] = entry["files"]
        if entry["scope"] == WHOLE_TABLE:
            prefixes = [f"{table}/"]
        else:
            prefixes = sorted({f"{table}/{posixpath.dirname(name)}/" for name in files})
        # One listing per replaced prefix tells what is in place (a file moved before a crash) and what goes.
        in_place = {o.key for prefix in prefixes for o in processed.list_files(prefix)}
        made: set[str] = set()
        for name in files:
            source, target = f"{staging}/{table}/{name}", f"{table}/{name}"
            if target in in_place:  # moved before a crash; the copy left behind, if any, is spare
                processed.delete(source)
                continue
            parent = posixpath.dirname(target)
            if parent not in made:
                processed.make_dirs(parent)
                made.add(parent)
            if not processed.move(source, target) and processed.exists(source):
                raise OSError(f"cannot move {processed.uri(source)} to {processed.uri(target)}")
        keep = {f"{table}/{name}" for name in files}
        for old in sorted(in_place - keep):
            processed.delete(old)
        processed.delete_empty_dirs(table)
    processed.delete(staging)
    _drop_empty_staging(processed)


def recover(processed: Storage) -> None:
    """Finishes the move of committed runs and drops the staging areas of runs that never committed."""
    for run_id in processed.list_dirs(STAGING_PREFIX):
        staging = f"{STAGING_PREFIX}{run_id}"
        committed = processed.exists(f"runs/{run_id}.json")
        if committed and processed.exists(f"{staging}/journal.json"):
            log.warning("run %s committed but its files were not all in place: finishing the move", run_id)
            apply(processed, json.loads(processed.read_text(f"{staging}/journal.json")))
        else:
            log.warning("dropping the staged output of run %s: it never committed", run_id)
            processed.delete(staging)
    _drop_empty_staging(processed)


def _drop_empty_staging(processed: Storage) -> None:
    if processed.exists(STAGING_PREFIX) and not processed.list_dirs(STAGING_PREFIX):
        processed.delete(STAGING_PREFIX)
