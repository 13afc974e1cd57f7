"""Progress of long steps for the ``warecast`` CLI: one JSON object per line on a file descriptor.

The CLI (cli/python.ts) starts model scripts with ``WARECAST_PROGRESS_FD`` naming a pipe it reads, and
renders the reports (a live line on a terminal, plain lines elsewhere). Without that variable (SageMaker,
tests, a plain ``python -m``) :func:`report` does nothing. A report: ``{"stage", "done", "total", "unit",
"detail"}``, the last four optional; a new stage name ends the previous stage.
"""

from __future__ import annotations

import json
import os
from typing import IO

__all__ = ["report"]

#: One text stream per descriptor number, opened on first use (None: not a usable descriptor).
_streams: dict[str, IO[str] | None] = {}


def _stream() -> IO[str] | None:
    fd = os.environ.get("WARECAST_PROGRESS_FD")
    if not fd:
        return None
    if fd not in _streams:
        try:
            _streams[fd] = os.fdopen(int(fd), "w", buffering=1, closefd=False)
        except (OSError, ValueError):
            _streams[fd] = None
    return _streams[fd]


def report(
    stage: str, done: int | None = None, total: int | None = None, unit: str = "", detail: str = ""
) -> None:
    """Send one progress report, if the CLI asked for them."""
    stream = _stream()
    if stream is None:
        return
    msg: dict[str, object] = {"stage": stage}
    for key, value in (("done", done), ("total", total), ("unit", unit), ("detail", detail)):
        if value not in (None, ""):
            msg[key] = value
    try:
        stream.write(json.dumps(msg) + "\n")
    except OSError:
        pass  # the CLI went away; progress is never worth failing the job for
