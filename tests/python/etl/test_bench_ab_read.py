"""bench/etl/ab_read.py: a variant's session settings replace the other's (Spark's default where it sets
none), the report's medians count only the counted pairs, and a Flight Recording's samples are named by their
innermost telling frame."""

from __future__ import annotations

from argparse import Namespace
from datetime import UTC, datetime

from bench.etl.ab_demand import load_module
from bench.etl.ab_read import _sample_kind, report, session_conf, use_settings
from etl.job import SESSION_CONF


class _Conf:
    def __init__(self) -> None:
        self.values: dict[str, str] = {"x": "spark's default"}

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def unset(self, key: str) -> None:
        self.values.pop(key, None)


class _Spark:
    def __init__(self) -> None:
        self.conf = _Conf()


def test_a_variant_s_settings_replace_the_other_s() -> None:
    spark = _Spark()
    every = {"a", "b"}
    use_settings(spark, {"a": "1", "b": "2"}, every)
    assert spark.conf.values == {"x": "spark's default", "a": "1", "b": "2"}
    use_settings(spark, {"a": "3"}, every)
    assert spark.conf.values == {"x": "spark's default", "a": "3"}


def test_a_revision_s_module_is_loaded_from_git() -> None:
    module = load_module("HEAD", "etl/raw_objects.py")
    assert callable(module.read_checked)
    assert module.__file__ == "HEAD:etl/raw_objects.py"


def test_a_revision_s_session_settings_are_read_from_git() -> None:
    assert session_conf("HEAD") == SESSION_CONF


def _run(pair: int, variant: str, step: float, back: float, warmup: bool = False) -> dict:
    return {"pair": pair, "variant": variant, "warmup": warmup, "load": 1.0, "seconds": step} | {
        "read_back": back,
        "total": step + back,
        "jvm": step / 2,
        "python": 1.0,
        "memory_mb": 10.0,
        "disk_mb": 0.0,
        "valid": 9,
        "rejected": 1,
    }


def test_the_report_s_medians_and_ratios_leave_the_warm_up_out() -> None:
    runs = [
        _run(1, "A", 100.0, 100.0, warmup=True),
        _run(1, "B", 1.0, 1.0, warmup=True),
        _run(2, "A", 10.0, 2.0),
        _run(2, "B", 6.0, 4.0),
        _run(3, "A", 12.0, 2.0),
        _run(3, "B", 8.0, 4.0),
    ]
    args = Namespace(size=1000, baseline="main", baseline_sha="abc1234", warmup=1, pairs=2)
    text = report(args, runs, True, datetime(2026, 1, 1, tzinfo=UTC), "1.0", "2.0")
    assert "| step s | 11.00 | 7.00 | 0.636 |" in text
    assert "| read-back s | 2.00 | 4.00 | 2.000 |" in text
    assert "| total s | 13.00 | 11.00 | 0.846 |" in text
    assert "**the same rows**" in text
    assert "| 1 (warm-up) | A |" in text
    assert "**DIFFERENT rows**" in report(args, runs, False, datetime(2026, 1, 1, tzinfo=UTC), "1", "2")


def test_a_sample_is_named_by_its_innermost_telling_frame() -> None:
    frames = [
        "scala.collection.mutable.HashTable.findEntry0(Object, int) line: 1",
        "org.apache.spark.sql.execution.columnar.compression.DictionaryEncoding$Encoder.gather… line: 2",
        "org.apache.spark.sql.execution.columnar.BasicColumnBuilder.appendFrom(…) line: 3",
    ]
    assert _sample_kind(frames) == "cache build (columnar, compression stats)"
    assert _sample_kind(frames[2:]) == "cache build (columnar builders)"
    assert _sample_kind(["java.lang.Thread.run() line: 1"]) == "other"
