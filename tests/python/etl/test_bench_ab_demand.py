"""bench/etl/ab_demand.py: A's daily_demand comes from git, the session has `warecast etl`'s Spark settings,
and the report's medians count only the counted pairs."""

from __future__ import annotations

from argparse import Namespace
from datetime import UTC, datetime

from bench.etl.ab_demand import cli_spark_conf, load_demand, report


def test_a_revision_s_demand_module_is_loaded_from_git() -> None:
    module = load_demand("HEAD")
    assert callable(module.daily_demand)
    assert module.__file__ == "HEAD:etl/demand.py"


def test_the_session_s_spark_settings_are_the_cli_s() -> None:
    conf = cli_spark_conf()
    # What the CLI passes as spark-submit's own flags and as --conf pairs, all as session settings.
    assert conf["spark.master"] == "local[2]"
    assert conf["spark.driver.memory"] == "4g"
    assert conf["spark.sql.shuffle.partitions"] == "32"
    assert "-XX:+UseSerialGC" in conf["spark.driver.extraJavaOptions"]
    assert conf["spark.ui.showConsoleProgress"] == "false"


def _run(pair: int, variant: str, compute: float, write: float, warmup: bool = False) -> dict:
    total = compute + write
    return {"pair": pair, "variant": variant, "warmup": warmup, "load": 1.0} | {
        "compute": compute,
        "write": write,
        "total": total,
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
    assert "| checkpoint s | 11.00 | 7.00 | 0.636 |" in text
    assert "| write s | 2.00 | 4.00 | 2.000 |" in text
    assert "| total s | 13.00 | 11.00 | 0.846 |" in text
    assert "**the same rows**" in text
    assert "| 1 (warm-up) | A |" in text
    assert "**DIFFERENT rows**" in report(args, runs, False, datetime(2026, 1, 1, tzinfo=UTC), "1", "2")
