"""Closed days: the calendar file the importer writes, plus the days listed in the stack config.

(Not named calendar.py: spark-submit puts etl/ first on sys.path, where it would shadow the standard library.)

The file is ``calendar/closed-days.json`` in the raw store (docs/architecture.md, "Closed-days calendar"): a
JSON object mapping each warehouse_id to the YYYY-MM-DD dates it was closed, e.g.
``{"IT-PASTA-1": ["2014-04-20", "2014-04-21"]}``. Config entries use ``*`` for every warehouse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

__all__ = ["CALENDAR_KEY", "parse_calendar", "merge_closed_days"]

CALENDAR_KEY = "calendar/closed-days.json"


def parse_calendar(text: str, source: str) -> list[tuple[str, date]]:
    """(warehouse_id, date) pairs from the calendar file's text; errors name ``source`` and the bad entry."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"closed-days calendar {source}: not JSON ({err})") from err
    if not isinstance(data, dict):
        raise ValueError(f'closed-days calendar {source}: expected {{"<warehouse_id>": ["YYYY-MM-DD", ...]}}')
    days = []
    for warehouse, dates in data.items():
        if not isinstance(dates, list):
            raise ValueError(
                f"closed-days calendar {source}: {warehouse}: expected a list of YYYY-MM-DD dates"
            )
        for value in dates:
            try:
                days.append((warehouse, date.fromisoformat(value)))
            except (TypeError, ValueError):
                raise ValueError(
                    f"closed-days calendar {source}: {warehouse}: {value!r} is not a YYYY-MM-DD date"
                ) from None
    return days


def merge_closed_days(*sources: Iterable[tuple[str, date]]) -> list[tuple[str, date]]:
    """The union of several (warehouse_id or ``*``, date) lists, sorted and without repeats."""
    return sorted({pair for source in sources for pair in source})
