"""Human-readable backtest tables (the ``warecast backtest`` output and the benchmark's results table)."""

from __future__ import annotations

from typing import Any

__all__ = ["aligned", "table_text", "table_markdown", "settings_text", "notes_text", "ORDER"]

ORDER = ("model", "champion", "seasonal_naive_empirical", "auto_ets", "ets", "seasonal_naive", "naive")
_COLS = ("mase", "rmsse", "wape", "bias", "pinball", "coverage_80")


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:+.1f}%" if pct else f"{value:.3f}"


def _rows(result: dict[str, Any]) -> list[list[str]]:
    metrics = result["metrics"]
    rel = result.get("relative_to_seasonal_naive", {})
    names = [n for n in ORDER if n in metrics] + [n for n in metrics if n not in ORDER]
    rows = []
    for name in names:
        row = metrics[name]
        r = rel.get(name, {})
        rows.append(
            [name]
            + [_fmt(row.get(c)) for c in _COLS]
            + [_fmt(-r["rmsse"] if r.get("rmsse") is not None else None, True)]
            + [_fmt(-r["wape"] if r.get("wape") is not None else None, True)]
        )
    return rows


_HEAD = ["method", "MASE", "RMSSE", "WAPE", "bias", "pinball", "cov80", "RMSSE vs sn", "WAPE vs sn"]


def aligned(rows: list[list[str]]) -> list[str]:
    """Fixed-width lines: the first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]


def table_text(result: dict[str, Any]) -> str:
    """A fixed-width table, one row per method (vs sn = change against seasonal naive)."""
    lines = aligned([_HEAD] + _rows(result))
    s = result["setup"]
    title = (
        f"backtest: {s['series']} series, freq {s['freq']}, horizon {s['horizon']}, {s['origins']} origins"
    )
    return "\n".join([title, *lines])


def table_markdown(result: dict[str, Any]) -> str:
    """The same table in Markdown."""
    rows = _rows(result)
    out = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def settings_text(result: dict[str, Any], hyperparameters: dict[str, Any]) -> str:
    """What the backtest ran: windows, refit, the model's hyperparameters and what each baseline is."""
    s = result["setup"]
    windows = ", ".join(f"{w['first']}..{w['last']}" for w in s["windows"])
    hp = " ".join(f"{k}={v}" for k, v in hyperparameters.items())
    lines = [
        f"settings: freq {s['freq']}, horizon {s['horizon']}, {s['origins']} origins, refit {s['refit']}, "
        f"season {s['season']}",
        f"windows: {windows}",
        f"model hyperparameters: {hp}",
    ]
    lines += [f"baseline {name}: {what}" for name, what in s.get("baselines", {}).items()]
    return "\n".join(lines)


def notes_text(result: dict[str, Any]) -> str:
    """The backtest's notes (short histories, fallback methods), one per line."""
    return "\n".join(f"note: {n}" for n in result.get("notes", []))
