"""How long `warecast backtest` takes on pasta daily (h 28, 4 origins, its defaults), through the CLI.

Usage: ``flock /work/.heavy.lock .venv/bin/python -m bench.accuracy.timing``. The goal is at most 2 minutes on
2 cores; on a shared machine the wall time is pessimistic, so the CPU time and the load average are recorded
too. Writes bench/out/backtest-time.json, which RESULTS.md quotes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.accuracy.datasets import ROOT, pasta

__all__ = ["main"]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pasta.csv"
        frame = pasta().rename(columns={"units": "units_sold"})
        frame[["date", "warehouse_id", "sku", "units_sold", "promo"]].to_csv(data, index=False)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = os.getloadavg()
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(ROOT / "warecast"), "backtest", "--data", str(data), "--freq", "D"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    result = {
        "command": "warecast backtest --data pasta.csv --freq D (horizon 28, 4 origins, refit first)",
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "load_average_before": load,
        "load_average_after": os.getloadavg(),
        "cpus": len(os.sched_getaffinity(0)),
        "output": proc.stdout,
    }
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "backtest-time.json").write_text(json.dumps(result, indent=2) + "\n")
    print(proc.stdout)
    print(f"wall {wall:.0f} s, CPU {result['cpu_s']:.0f} s, load average before {load[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
