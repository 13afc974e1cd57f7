"""CPU time of a command and all its descendants, by kind of process and JVM thread, sampled from /proc.

    .venv/bin/python -m bench.etl.cpu -- ./warecast etl --raw DIR --processed DIR

CPU seconds do not grow with the machine's load the way wall time does, so on a shared machine they say more
about the work a run does. Each process and thread is sampled every 0.2 s; its last sample counts (a thread
that lives less than that is missed, so the total is a floor). JVM threads are grouped by name: the task
threads ("Executor task launch worker"), the JIT compilers, the garbage collector, and the rest (driver, RPC,
I/O).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from collections import defaultdict
from pathlib import Path

__all__ = ["measure"]

_TICK = os.sysconf("SC_CLK_TCK")
_GROUPS = [
    ("JVM tasks", re.compile(r"^Executor task")),
    ("JVM JIT", re.compile(r"^C[12] Compiler")),
    ("JVM GC", re.compile(r"GC|G1")),
]


def _stat(path: Path) -> tuple[str, int, float] | None:
    """(comm, ppid, cpu seconds) of /proc/<pid>[/task/<tid>]/stat."""
    try:
        text = path.read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _kind(pid: int, comm: str) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        cmd = comm
    if "pyspark.daemon" in cmd or "pyspark/worker" in cmd:
        return "Python workers"
    if comm == "java":
        return "JVM"
    if "python" in comm:
        return "Python driver"
    return "other (" + comm + ")"


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, dict[str, float], int]:
    """Runs ``command``; returns its wall seconds, CPU seconds by group, and its exit code."""
    start = time.monotonic()
    proc = subprocess.Popen(command, env=env)
    seen: dict[tuple[int, int], tuple[str, float]] = {}
    tree = {proc.pid}
    while proc.poll() is None:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                stat = _stat(entry / "stat")
                if stat and (stat[1] in tree or int(entry.name) in tree):
                    tree.add(int(entry.name))
        for pid in list(tree):
            stat = _stat(Path(f"/proc/{pid}/stat"))
            if stat is None:
                continue
            kind = _kind(pid, stat[0])
            if kind == "JVM":
                for task in Path(f"/proc/{pid}/task").glob("*"):
                    thread = _stat(task / "stat")
                    if thread:
                        group = next((g for g, rx in _GROUPS if rx.search(thread[0])), "JVM other")
                        seen[(pid, int(task.name))] = (group, thread[2])
            else:
                seen[(pid, pid)] = (kind, stat[2])
        time.sleep(0.2)
    wall = time.monotonic() - start
    groups: dict[str, float] = defaultdict(float)
    for group, seconds in seen.values():
        groups[group] += seconds
    return wall, dict(groups), proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    wall, groups, code = measure(command)
    total = sum(groups.values())
    print(f"wall {wall:.1f} s, CPU {total:.1f} s (exit {code})")
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {group:<28} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
