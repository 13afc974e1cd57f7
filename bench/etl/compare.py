"""Are two ETL outputs the same? Counts, reason codes and the sorted rows of demand_daily and series_state.

    .venv/bin/python -m bench.etl.compare PROCESSED_A PROCESSED_B [--out bench/etl/equality.md]

Each side is a processed store (``warecast etl --processed DIR``) after the same raw input. Compared: the
manifests' counts summed over runs (records_in, valid, quarantined, duplicates, each reason code and
duplicate kind), and every row of demand_daily and series_state, sorted, column by column (run_id, which names
the run, is left out; float columns must be equal exactly). Exits non-zero when anything differs, and prints
(or writes) the comparison with a SHA-256 of each table's sorted rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import duckdb

COUNTS = ("records_in", "valid", "quarantined", "duplicates")
TABLES = {
    "demand_daily": "warehouse_id, sku, date",
    "series_state": "warehouse_id, sku",
}


def manifest_counts(processed: Path) -> dict[str, int]:
    """Counts over every committed run, with one entry per reason code and duplicate kind."""
    total: Counter[str] = Counter()
    for path in sorted((processed / "runs").glob("*.json")):
        manifest = json.loads(path.read_text())
        for key in COUNTS:
            total[key] += manifest[key]
        for reason, n in manifest["quarantined_by_reason"].items():
            total[f"quarantined:{reason}"] += n
        for kind, n in manifest["duplicates_by_kind"].items():
            total[f"duplicates:{kind}"] += n
    return dict(sorted(total.items()))


def sorted_rows(processed: Path, table: str) -> list[tuple]:
    """Every row of a table (hive partitions restored, run_id left out), sorted by key, then all columns."""
    con = duckdb.connect()
    glob = str(processed / table / "**" / "*.parquet")
    columns = [
        row[0]
        for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true)"
        ).fetchall()
        if row[0] != "run_id"
    ]
    select = ", ".join(f'"{c}"' for c in sorted(columns))
    order = f"{TABLES[table]}, {select}"
    query = f"SELECT {select} FROM read_parquet('{glob}', hive_partitioning = true) ORDER BY {order}"
    return [tuple(r) for r in con.execute(query).fetchall()]


def digest(rows: list[tuple]) -> str:
    return hashlib.sha256("\n".join(map(repr, rows)).encode()).hexdigest()


def compare(a: Path, b: Path) -> tuple[bool, str]:
    lines = [f"A = {a}", f"B = {b}", "", "| what | A | B | equal |", "|---|---:|---:|---|"]
    same = True
    counts_a, counts_b = manifest_counts(a), manifest_counts(b)
    for key in sorted(set(counts_a) | set(counts_b)):
        va, vb = counts_a.get(key, 0), counts_b.get(key, 0)
        same &= va == vb
        lines.append(f"| {key} | {va:,} | {vb:,} | {'yes' if va == vb else '**NO**'} |")
    for table in TABLES:
        rows_a, rows_b = sorted_rows(a, table), sorted_rows(b, table)
        equal = rows_a == rows_b
        same &= equal
        lines.append(
            f"| {table} rows (sha256 of sorted rows: {digest(rows_a)[:16]} / {digest(rows_b)[:16]}) "
            f"| {len(rows_a):,} | {len(rows_b):,} | {'yes' if equal else '**NO**'} |"
        )
    lines += ["", "Identical." if same else "DIFFERENT."]
    return same, "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="also write the comparison to this file")
    args = parser.parse_args()
    same, text = compare(args.a, args.b)
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
