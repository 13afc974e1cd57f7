"""The active days of each series (days with events), from its events in event order, in Arrow batches.

etl/demand.py sorts every series' events once in Spark and hands them to :func:`active_days` through
``mapInArrow``; this module computes, in numpy, what three Window operators and a hash aggregation computed in
Spark (bench/etl/RESULTS.md): the running stock balance after each event, the day's sums, and for each active
day the stock carried in and out and the next active day. The results are the same doubles, byte for byte,
because every sum adds the same doubles in the same order as Spark's ``sum`` and ``avg`` did (docs/etl.md,
"How the balance is computed, and why the numbers are exact"):

- a running or per-day sum starts from +0.0 and adds each value in event order (:func:`running_sums`);
  Spark's ``sum`` skips nulls and is null when every value is; its ``avg`` adds nulls as 0.0, counts the
  others;
- the balance after an event is ``on_hand + (cum - cum_at_snapshot)``, the last snapshot's count plus what
  moved since, with ``cum`` the series' running sum of movements.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyspark.sql import types as T

__all__ = ["ACTIVE_SCHEMA", "KINDS", "active_days", "running_sums"]

# event_type as a small integer: Arrow carries one byte per event instead of a string.
KINDS = {"sale": 1, "return": 2, "receipt": 3, "inventory_snapshot": 4}
_SALE, _RETURN, _RECEIPT, _SNAPSHOT = (KINDS[k] for k in ("sale", "return", "receipt", "inventory_snapshot"))

# One row per series and active day; the columns daily_demand's Spark part reads.
ACTIVE_SCHEMA = T.StructType(
    [
        # Never null, as in the events: demand_daily's schema says so of the rows expanded from them.
        T.StructField("warehouse_id", T.StringType(), False),
        T.StructField("sku", T.StringType(), False),
        T.StructField("date", T.DateType(), False),
        T.StructField("units_sold", T.DoubleType()),
        T.StructField("units_returned", T.DoubleType()),
        T.StructField("event_count", T.LongType()),
        T.StructField("promo", T.BooleanType()),
        T.StructField("avg_unit_price", T.DoubleType()),
        # The balance after the day's last event; the lowest after any of its events.
        T.StructField("_eod", T.DoubleType()),
        T.StructField("_min_balance", T.DoubleType()),
        # The last known end-of-day balance up to this day, and up to the day before; the next active day.
        T.StructField("_stock", T.DoubleType()),
        T.StructField("_start", T.DoubleType()),
        T.StructField("_next", T.DateType()),
    ]
)

# Segments still running when this few are left are finished one by one (numpy's accumulate), not a rank at
# a time: a few long series (or busy days) cost one call each instead of one loop turn per event.
_FEW = 16


def active_days(batches: Iterator[Any]) -> Iterator[Any]:
    """mapInArrow: the events of a partition, sorted by series, then event order (columns warehouse_id, sku,
    date, kind, quantity, on_hand, unit_price, promo), to the series' active days (ACTIVE_SCHEMA).

    A series may span batches: the rows after the last series change of a batch wait for the next one."""
    import pyarrow as pa

    from etl.raw_objects import without_pandas

    without_pandas(pa)
    pending: list[Any] = []
    for batch in batches:
        if not batch.num_rows:
            continue
        cut = _last_series_start(batch)
        if cut > 0 and pending:
            yield _days(pa.Table.from_batches([*pending, batch.slice(0, cut)]))
            pending = []
        elif cut > 0:
            yield _days(pa.Table.from_batches([batch.slice(0, cut)]))
        pending.append(batch.slice(cut))
    if pending:
        yield _days(pa.Table.from_batches(pending))


def running_sums(values: Any, starts: Any, lengths: Any) -> Any:
    """Within each segment (``starts``, ``lengths``; non-empty, together covering ``values``' rows),
    ``out[i] = out[i - 1] + values[i]`` in row order, ``out[first] = values[first]``: the same additions in
    the same order as a sum that starts from +0.0, for values that are never -0.0 (callers turn -0.0 and nulls
    into +0.0, which leaves such a sum unchanged). ``values``: one column, or one per sum side by side.

    Vectorised across segments a rank at a time (the k-th values of every segment that long), then the last
    few long segments one call each."""
    import numpy as np

    out = np.array(values, dtype=np.float64, copy=True)
    order = np.argsort(-lengths, kind="stable")
    first, size = starts[order], lengths[order]
    # ``longer[k]``: how many segments are longer than k (the sizes sorted from the longest).
    descending = -size
    rank = 1
    while True:
        running = int(np.searchsorted(descending, -rank, side="left"))
        if running <= _FEW:
            break
        at = first[:running] + rank
        out[at] = out[at - 1] + out[at]
        rank += 1
    for start, length in zip(first[:running].tolist(), size[:running].tolist(), strict=True):
        if length > rank:
            part = out[start + rank - 1 : start + length]
            np.add.accumulate(part, axis=0, out=part)
    return out


def _last_series_start(batch: Any) -> int:
    """The row where the batch's last series starts (0 when the whole batch is one series)."""
    import pyarrow.compute as pc

    n = batch.num_rows
    if n < 2:
        return 0
    changed = pc.or_(*(_changes(batch.column(name), pc) for name in ("warehouse_id", "sku")))
    rows = pc.indices_nonzero(changed).to_numpy()
    return int(rows[-1]) + 1 if len(rows) else 0


def _changes(column: Any, pc: Any) -> Any:
    """Row i says whether row i + 1 differs from row i."""
    n = len(column)
    return pc.not_equal(column.slice(0, n - 1), column.slice(1))


def _days(table: Any) -> Any:
    """The active days of the complete series in ``table`` (sorted by series, then event order)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = table.combine_chunks()
    n = table.num_rows
    keys = [table.column(name).chunk(0) for name in ("warehouse_id", "sku")]
    series_start = np.zeros(n, dtype=bool)
    series_start[0] = True
    for key in keys:
        series_start[1:] |= _changes(key, pc).to_numpy(zero_copy_only=False)
    series = np.cumsum(series_start) - 1
    starts = np.flatnonzero(series_start)
    lengths = np.diff(np.append(starts, n))

    def floats(name: str) -> tuple[Any, Any]:
        column = table.column(name)
        known = column.is_valid().to_numpy(zero_copy_only=False)
        return pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False).astype(np.float64), known

    kind = pc.fill_null(table.column("kind"), 0).to_numpy(zero_copy_only=False)
    quantity, has_quantity = floats("quantity")
    on_hand, has_on_hand = floats("on_hand")
    price, has_price = floats("unit_price")
    promo = pc.fill_null(table.column("promo"), False).to_numpy(zero_copy_only=False)
    date = table.column("date").cast(pa.int32()).to_numpy(zero_copy_only=False)
    sale, snapshot = kind == _SALE, kind == _SNAPSHOT
    moves = (kind == _RETURN) | (kind == _RECEIPT)

    # The running sum of movements (Spark: sum(when(sale, -q).when(return or receipt, q).otherwise(0.0))
    # over the series' events so far). A null quantity adds nothing; the sum is null until the first value.
    delta_known = ~((sale | moves) & ~has_quantity)
    delta = np.where(sale, -quantity, np.where(moves, quantity, 0.0))
    delta = np.where(delta_known & (delta != 0.0), delta, 0.0)  # -0.0 and nulls as +0.0
    cum = running_sums(delta, starts, lengths)
    index = np.arange(n)
    own_start = starts[series]
    # The running sum is null until the series' first known delta: the last known row so far is in the series.
    cum_known = np.maximum.accumulate(np.where(delta_known, index, -1)) >= own_start
    # The balance: the last snapshot at or before each event (in its series), plus the movements since.
    anchor = np.maximum.accumulate(np.where(snapshot, index, -1))
    anchored = anchor >= own_start
    at = np.where(anchored, anchor, 0)
    balance = on_hand[at] + (cum - cum[at])
    has_balance = anchored & has_on_hand[at] & cum_known[at]

    # The days: each series' events grouped by date, in event order within a day.
    if np.all((np.diff(date) >= 0) | series_start[1:]):
        order = index
    else:  # a time zone's clock went back across midnight: a stable sort keeps the event order within days
        order = np.lexsort((date, series))
    day_start = np.ones(n, dtype=bool)
    day_start[1:] = (date[order][1:] != date[order][:-1]) | (series[order][1:] != series[order][:-1])
    first = np.flatnonzero(day_start)
    size = np.diff(np.append(first, n))
    last = first + size - 1

    priced = sale & has_price
    columns = np.stack(
        [
            np.where(sale & has_quantity, quantity, 0.0),
            np.where((kind == _RETURN) & has_quantity, quantity, 0.0),
            np.where(priced & has_quantity, quantity, 0.0),
            np.where(priced & has_quantity, quantity * price, 0.0),
            np.where(priced, price, 0.0),
        ],
        axis=1,
    )[order]
    columns = np.where(columns != 0.0, columns, 0.0)
    sums = running_sums(columns, first, size)[last]
    counted = np.add.reduceat(
        np.stack([priced & has_quantity, priced], axis=1)[order].astype(np.int64),
        first,
        axis=0,
    )
    # Spark's sum: null when every value is null. when(sale, q).otherwise(0.0) is null only for a sale
    # without a quantity, so the day's sum is null only when every event of the day is such a sale.
    not_null = np.add.reduceat(
        np.stack([~(sale & ~has_quantity), ~((kind == _RETURN) & ~has_quantity)], axis=1)[order].astype(
            np.int64
        ),
        first,
        axis=0,
    )
    units = sums[:, 2]
    weighted = sums[:, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        by_units = weighted / np.where(units > 0, units, 1.0)
        mean = sums[:, 4] / np.where(counted[:, 1] > 0, counted[:, 1], 1)
    has_units = counted[:, 0] > 0
    average = np.where(has_units & (units > 0), by_units, mean)
    has_average = (has_units & (units > 0)) | (counted[:, 1] > 0)

    ordered_balance = balance[order]
    ordered_has = has_balance[order]
    eod = ordered_balance[last]
    has_eod = ordered_has[last]
    lowest = np.minimum.reduceat(np.where(ordered_has, ordered_balance, np.inf), first)
    has_lowest = np.add.reduceat(ordered_has.astype(np.int64), first) > 0
    event_count = size.astype(np.int64)
    day_promo = np.add.reduceat(promo[order].astype(np.int64), first) > 0

    # The window over each series' days: the last known end-of-day balance so far, and the next active day.
    day_series = series[order][first]
    series_first_day = np.flatnonzero(np.r_[True, day_series[1:] != day_series[:-1]])
    day_index = np.arange(len(first))
    own_first = series_first_day[np.searchsorted(series_first_day, day_index, side="right") - 1]
    known = np.maximum.accumulate(np.where(has_eod, day_index, -1))
    has_stock = known >= own_first
    before = np.r_[-1, known[:-1]]
    has_start = (before >= own_first) & (day_index > own_first)
    day_date = date[order][first]
    is_last = np.r_[day_series[1:] != day_series[:-1], True]
    following = np.r_[day_date[1:], 0]

    rows = order[first]
    return pa.RecordBatch.from_arrays(
        [
            table.column("warehouse_id").take(pa.array(rows)).combine_chunks(),
            table.column("sku").take(pa.array(rows)).combine_chunks(),
            pa.array(day_date, pa.int32()).cast(pa.date32()),
            pa.array(sums[:, 0], mask=not_null[:, 0] == 0),
            pa.array(sums[:, 1], mask=not_null[:, 1] == 0),
            pa.array(event_count),
            pa.array(day_promo),
            pa.array(average, mask=~has_average),
            pa.array(eod, mask=~has_eod),
            pa.array(lowest, mask=~has_lowest),
            pa.array(eod[np.maximum(known, 0)], mask=~has_stock),
            pa.array(eod[np.maximum(before, 0)], mask=~has_start),
            pa.array(following, pa.int32(), mask=is_last).cast(pa.date32()),
        ],
        names=ACTIVE_SCHEMA.fieldNames(),
    )
