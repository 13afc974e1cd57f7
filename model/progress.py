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

_stream: IO[str] | None = None
_disabled = False


def _open() -> IO[str] | None:
    global _stream, _disabled
    if _stream is None and not _disabled:
        fd = os.environ.get("WARECAST_PROGRESS_FD")
        try:
            _stream = os.fdopen(int(fd), "w", buffering=1, closefd=False) if fd else None
        except (OSError, ValueError):
            _stream = None
        _disabled = _stream is None
    return _stream


def report(
    stage: str, done: int | None = None, total: int | None = None, unit: str = "", detail: str = ""
) -> None:
    """Send one progress report, if the CLI asked for them."""
    stream = _open()
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
