"""One writer at a time per processed store.

Locally the lock is a file, ``<processed>/_lock.json``, created exclusively (``O_EXCL``) with the owner's pid,
host, process start time and run id, and removed when the run ends. A lock whose owner process is gone (same
host, pid dead or reused) is stale: the next run takes it over with a warning. Otherwise the second run fails
at once with a message that names the running one.

In Glue the job's ``MaxConcurrentRuns`` is 1 (components/etl-pipeline.ts): Glue itself refuses a second run of
the job, whoever starts it (ConcurrentRunsExceededException), so an s3:// store takes no lock file
(docs/etl.md, "One writer at a time").
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["LOCK_NAME", "StoreLocked", "store_lock"]

log = logging.getLogger("warecast.etl")

LOCK_NAME = "_lock.json"
_UNWRITTEN_GRACE_S = 10.0


class StoreLocked(RuntimeError):
    """Another run holds the store."""


@contextmanager
def store_lock(root: str, run_id: str, started: datetime) -> Iterator[None]:
    """Holds the store's lock for the duration of the block (a no-op for s3:// stores: Glue serialises)."""
    parsed = urlparse(root)
    if parsed.scheme not in ("", "file"):
        yield
        return
    directory = Path(parsed.path if parsed.scheme else root)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    owner = {
        "run_id": run_id,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "process_started": _process_start(os.getpid()),
        "started_at": started.isoformat(),
    }
    _acquire(path, owner)
    try:
        yield
    finally:
        if _read(path).get("run_id") == run_id:
            path.unlink(missing_ok=True)


def _acquire(path: Path, owner: dict) -> None:
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(path)
            if not _stale(path, holder):
                raise StoreLocked(
                    f"the processed store {path.parent} is in use by run {holder.get('run_id', '?')} "
                    f"(pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
                    f"{holder.get('started_at', '?')}); wait for it to finish. If that process is gone, "
                    f"remove {path}."
                ) from None
            log.warning("taking over the lock of run %s: its process is gone", holder.get("run_id", "?"))
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as handle:
            json.dump(owner, handle)
        return
    raise StoreLocked(f"the processed store {path.parent}: another run took the lock at the same moment")


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _stale(path: Path, holder: dict) -> bool:
    if not holder:  # created but not yet written, or cut short by a crash
        try:
            return time.time() - path.stat().st_mtime > _UNWRITTEN_GRACE_S
        except FileNotFoundError:
            return True
    if holder.get("host") != socket.gethostname():
        return False  # another machine's process: no way to tell it is gone
    pid = holder.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return True
    started = holder.get("process_started")
    return started is not None and _process_start(pid) not in (None, started)  # the pid was reused


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid from the owner."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None
