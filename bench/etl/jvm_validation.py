"""Prototype measurement: could the JVM check the lines the fast path accepts, with no Python worker at all?

    flock /work/.heavy.lock .venv/bin/python -m bench.etl.jvm_validation MODE RAW_DIR   # one fresh session

MODE ``python`` times the shipped read and validate step (etl/raw_objects.py: ``read_checked``, persisted and
counted as etl/job.py does). The other modes time a JVM-only path on the same objects, in the same kind of
fresh local[2] session as `warecast etl` (serial GC, 4 GiB driver):

- ``split``: each object gunzipped by Spark's ``wholetext`` reader (Hadoop's codec, unreadable objects skipped
  with ``ignoreCorruptFiles``), split on ``\\n`` with line numbers (``posexplode``), persisted and counted;
- ``shape``: ``split`` plus one regular expression per line that only plain lines match (strict JSON, only the
  schema's typed properties, no escapes, no null, printable ASCII), as a sound fast path would need before it
  trusts Spark's lenient JSON parser;
- ``json``: ``split`` plus ``from_json`` into the typed properties;
- ``jvm``: all of it plus the schema's checks as Spark expressions (patterns, RFC 3339 date-time with a real
  calendar day, bounds, the ``allOf`` conditions, the ``occurred_at`` window; the arrival is a fixed far date
  here), then the declined lines collected and judged on the driver by the full rules.

It is hand-written for schemas/event.schema.json, not generated from it; it measures, it does not ship
(bench/etl/RESULTS.md, 2026-12-06 03:00–05:00Z, has the numbers and what was decided). Known simplification:
the empty piece after an object's final newline is counted as a line (and declined); a shipped path would drop
it. A variant that computed the instant with ``make_date`` behind a ``CASE WHEN`` on the date-time checks ran
for over two minutes at 1M before it was stopped: not investigated.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.raw_objects import read_checked
from etl.records import RecordChecker
from etl.schema_rules import compile_schema, load_limits, load_schema
from etl.storage import Storage

REPO = Path(__file__).resolve().parents[2]

_S = r'"[ !#-\[\]-~]*"'  # a string: printable ASCII, no quote, no backslash (so no escape)
_N = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"  # a JSON number
_W = r"[ \t]*"
_VALUES = {
    "schema_version": "1",
    "event_id": _S,
    "event_type": '"(?:sale|return|receipt|inventory_snapshot)"',
    "occurred_at": _S,
    "warehouse_id": _S,
    "sku": _S,
    "quantity": _N,
    "on_hand": _N,
    "on_order": _N,
    "unit_price": _N,
    "currency": _S,
    "promo": "(?:true|false)",
}
_MEMBER = "(?:" + "|".join(f'"{k}"{_W}:{_W}{v}' for k, v in _VALUES.items()) + ")"
SHAPE = rf"^\{{{_W}(?:{_MEMBER}(?:{_W},{_W}{_MEMBER})*)?{_W}\}}\z"
_RFC3339 = (
    r"^([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\z"
)
_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})\z"
_ID = r"^[A-Za-z0-9_.-]{1,64}\z"
_PARSED = T.StructType(
    [
        T.StructField(n, T.StringType())
        for n in ("event_id", "event_type", "occurred_at", "warehouse_id", "sku")
    ]
    + [T.StructField(n, T.DoubleType()) for n in ("quantity", "on_hand", "on_order", "unit_price")]
    + [T.StructField("currency", T.StringType()), T.StructField("promo", T.BooleanType())]
)
_JSON_OPTIONS = {"allowNonNumericNumbers": "false", "allowSingleQuotes": "false", "mode": "PERMISSIVE"}


def _session() -> SparkSession:
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("jvm-validation")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "32")
        .config("spark.default.parallelism", "4")
        .config("spark.driver.memory", "4g")
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        # Else each field read from from_json's struct becomes a from_json call of its own.
        .config("spark.sql.optimizer.enableJsonExpressionOptimization", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _occurred_micros():
    """occurred_at (RFC 3339, offsets to ±23:59) in microseconds since the epoch (past 6 digits cut)."""
    oc = F.col("occurred_at")
    local = F.unix_micros(F.to_timestamp(F.substring(oc, 1, 19), "yyyy-MM-dd'T'HH:mm:ss"))
    fraction = F.regexp_extract(oc, r"^.{19}\.([0-9]+)", 1)
    fraction_us = F.when(fraction == "", 0).otherwise(
        F.rpad(F.substring(fraction, 1, 6), 6, "0").cast("long")
    )
    offset = F.regexp_extract(oc, r"([+-])([0-9]{2}):([0-9]{2})\z", 0)
    offset_s = F.when(offset == "", 0).otherwise(
        (F.substring(offset, 2, 2).cast("long") * 3600 + F.substring(offset, 5, 2).cast("long") * 60)
        * F.when(F.substring(offset, 1, 1) == "-", -1).otherwise(1)
    )
    return local + fraction_us - offset_s * 1_000_000


def _vouched(not_before_us: int, latest_us: int):
    oc = F.col("occurred_at")
    year, month, day = (F.substring(oc, a, n).cast("int") for a, n in ((1, 4), (6, 2), (9, 2)))
    real_day = (
        (year != 0) & (day >= 1) & (day <= F.dayofmonth(F.last_day(F.make_date(year, month, F.lit(1)))))
    )
    date_time = oc.rlike(_PATTERN) & F.upper(oc).rlike(_RFC3339) & real_day

    def bounded(name: str):
        return F.coalesce((F.col(name) >= 0) & (F.col(name) < 2.0**53), F.lit(True))

    required = [
        F.col(n).isNotNull() for n in ("event_id", "event_type", "occurred_at", "warehouse_id", "sku")
    ]
    checks = [
        F.col("shape"),
        *required,
        F.length("event_id").between(1, 128),
        F.col("warehouse_id").rlike(_ID),
        F.col("sku").rlike(_ID),
        F.coalesce(F.col("currency").rlike(r"^[A-Z]{3}\z"), F.lit(True)),
        *(bounded(n) for n in ("quantity", "on_hand", "on_order", "unit_price")),
        ~F.col("event_type").isin("sale", "return", "receipt") | F.col("quantity").isNotNull(),
        (F.col("event_type") != "inventory_snapshot") | F.col("on_hand").isNotNull(),
    ]
    vouched = checks[0]
    for check in [*checks[1:], date_time]:
        vouched = vouched & check
    micros = _occurred_micros()
    return F.coalesce(vouched & micros.between(not_before_us, latest_us), F.lit(False)), micros


def main() -> None:
    mode, raw_dir = sys.argv[1], sys.argv[2]
    started = time.monotonic()
    spark = _session()
    session = time.monotonic() - started
    schema = load_schema(REPO / "schemas" / "event.schema.json")
    checker = RecordChecker(compile_schema(schema), load_limits(schema))
    raw = Storage(spark, raw_dir)
    objects = [o for o in raw.list_files("events/") if o.key.endswith(".ndjson.gz")]
    t0 = time.monotonic()
    if mode == "python":
        checked = read_checked(spark, raw, objects, checker).persist(StorageLevel.MEMORY_AND_DISK)
        print("counts", dict(checked.groupBy(F.col("reason").isNull()).count().collect()))
    else:
        text = (
            spark.read.format("text")
            .option("wholetext", "true")
            .option("ignoreCorruptFiles", "true")
            .load([raw.uri(o.key) for o in objects])
        )
        lines = text.select(
            F.input_file_name().alias("source"), F.posexplode(F.split("value", "\n", -1))
        ).select("source", (F.col("pos") + 1).alias("line"), F.col("col").alias("text"))
        parsed = F.from_json("text", _PARSED, _JSON_OPTIONS).alias("e")
        if mode == "split":
            frame = lines
        elif mode == "shape":
            frame = lines.select("*", F.col("text").rlike(SHAPE).alias("shape"))
        elif mode == "json":
            frame = lines.select("*", parsed).select("source", "line", "text", "e.*")
        else:
            frame = lines.select("*", F.col("text").rlike(SHAPE).alias("shape"), parsed).select(
                "source", "line", "text", "shape", "e.*"
            )
            vouched, micros = _vouched(checker._not_before_us, 10**18)
            frame = frame.select("*", vouched.alias("vouched"), F.timestamp_micros(micros).alias("instant"))
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        if mode != "jvm":
            print("counts", frame.count())
        else:
            print("counts", dict(frame.groupBy("vouched").count().collect()))
            t1 = time.monotonic()
            declined = frame.filter(~F.col("vouched")).select("text").collect()
            t2 = time.monotonic()
            rejected = sum(bool(checker.check(r["text"].encode(), 1 << 62).failures) for r in declined)
            print(
                f"declined {len(declined)}, rejected by the full rules {rejected}: "
                f"collect {t2 - t1:.2f} s, check {time.monotonic() - t2:.2f} s"
            )
    elapsed = time.monotonic() - t0
    print(f"MODE {mode}: read and validate {elapsed:.2f} s (session {session:.2f} s)")


if __name__ == "__main__":
    main()
