"""Typed job options: the same arguments locally (spark-submit) and in Glue (job arguments).

Glue passes every argument as ``--name value`` next to its own (``--JOB_NAME``, ``--JOB_RUN_ID``,
``--TempDir``, ...), so the options are read with ``argparse.parse_known_args``: Glue's extra arguments are
ignored, ours are validated here, in one place, with errors that name the argument.
"""

from __future__ import annotations

import argparse
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

__all__ = ["JobOptions", "parse_args", "parse_closed_days", "parse_time_zones"]

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


@dataclass(frozen=True)
class JobOptions:
    """What one run of the job needs to know."""

    raw: str
    """Root of the raw store (a local directory or an s3:// URI); events are under ``events/``."""
    processed: str
    """Root of the processed store (local directory or s3:// URI)."""
    schema: str = "event.schema.json"
    """The event JSON Schema file (in Glue: shipped with --extra-files into the working directory)."""
    reprocess: bool = False
    """Rebuild every table from all raw objects instead of processing only new ones."""
    calendar: str | None = None
    """Closed-days calendar file; default ``<raw>/calendar/closed-days.json`` when it exists."""
    closed_days: tuple[tuple[str, date], ...] = ()
    """Extra closed days from the stack config: (warehouse_id or ``*``, date)."""
    time_zones: Mapping[str, str] = field(default_factory=dict)
    """warehouse_id → IANA time zone of its business day."""
    default_time_zone: str = "UTC"
    """Time zone of warehouses not in ``time_zones``."""
    state_window_days: int = 400
    """Days of history per series in series_state."""
    metrics_namespace: str | None = None
    """CloudWatch namespace for run metrics; None = metrics go only to the manifest (local mode)."""
    job_name: str | None = None
    """Glue job name (set by Glue); also the metrics dimension."""
    catalog_database: str | None = None
    """Glue catalog database whose processed tables get their new partitions registered (Glue only)."""


def parse_args(argv: Sequence[str]) -> JobOptions:
    """Reads the job's options from ``argv``, ignoring arguments Glue adds."""
    parser = argparse.ArgumentParser(prog="etl/job.py", allow_abbrev=False)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--processed", required=True)
    parser.add_argument("--schema", default="event.schema.json")
    parser.add_argument("--reprocess", nargs="?", const="true", default="false")
    parser.add_argument("--calendar", default=None)
    parser.add_argument("--closed-days", default="")
    parser.add_argument("--time-zones", default="")
    parser.add_argument("--default-time-zone", default="UTC")
    parser.add_argument("--state-window-days", default="400")
    parser.add_argument("--metrics-namespace", default=None)
    parser.add_argument("--catalog-database", default=None)
    parser.add_argument("--JOB_NAME", dest="job_name", default=None)
    args, _glue_arguments = parser.parse_known_args(list(argv))

    reprocess = args.reprocess.strip().lower()
    if reprocess not in _TRUE | _FALSE:
        raise ValueError(f"--reprocess: expected true or false, got {args.reprocess!r}")
    try:
        window = int(args.state_window_days)
    except ValueError:
        window = 0
    if not 28 <= window <= 1500:
        raise ValueError(
            f"--state-window-days: expected an integer in 28..1500, got {args.state_window_days!r}"
        )
    return JobOptions(
        raw=args.raw,
        processed=args.processed,
        schema=args.schema,
        reprocess=reprocess in _TRUE,
        calendar=args.calendar or None,
        closed_days=parse_closed_days(args.closed_days),
        time_zones=parse_time_zones(args.time_zones),
        default_time_zone=_zone(args.default_time_zone, "--default-time-zone"),
        state_window_days=window,
        metrics_namespace=args.metrics_namespace or None,
        job_name=args.job_name,
        catalog_database=args.catalog_database or None,
    )


def parse_time_zones(text: str) -> dict[str, str]:
    """``WH1=Europe/Rome,WH2=UTC`` (the stack config's warehouseTimeZones, comma-joined) → dict."""
    zones: dict[str, str] = {}
    for item in _items(text):
        warehouse, _, zone = item.partition("=")
        if not warehouse or not zone:
            raise ValueError(f"--time-zones: expected warehouse_id=IANA zone, got {item!r}")
        zones[warehouse] = _zone(zone, f"--time-zones ({warehouse})")
    return zones


def parse_closed_days(text: str) -> tuple[tuple[str, date], ...]:
    """``WH1=2024-01-01,*=2024-12-25`` (the stack config's closedDays, comma-joined) → pairs."""
    days = []
    for item in _items(text):
        warehouse, _, day = item.partition("=")
        try:
            days.append((warehouse, date.fromisoformat(day)))
        except ValueError:
            raise ValueError(
                f"--closed-days: expected warehouse_id=YYYY-MM-DD or *=YYYY-MM-DD, got {item!r}"
            ) from None
        if not warehouse:
            raise ValueError(f"--closed-days: missing warehouse_id in {item!r}")
    return tuple(days)


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _zone(name: str, where: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{where}: unknown IANA time zone {name!r}") from None
    return name
