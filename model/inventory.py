"""Inventory-policy backtest: does the replenishment advice pay? (docs/replenishment.md, "Replaying history")

The backtest windows are replayed day by day as one stretch of history. At each review date (every R days
from the first day of the first window) each policy sets its order-up-to level S from what it knew the day
before, and orders with the API's (R, S) rule (model.replenishment): S − IP when the inventory position
IP < S. Orders arrive L days later, before that day's sales; demand is the actual units sold; what
stock cannot cover is lost. Each series starts with its first S on hand and nothing on order.

Policies, all at the same target service level α:
- ``model``: S = the α-quantile of the model's demand over L + R days (from sample paths, as the endpoint
  computes it) — what ``POST /v1/recommendations`` says;
- ``seasonal_naive``: the same from the seasonal-naive forecaster with empirical intervals (the bootstrap
  model);
- ``weeks_of_cover``: S = c days × the trailing 28-day mean; one cover c for every series, set before the
  first window as the α-quantile of (demand over L + R days) / (trailing mean) pooled over the history — a
  fixed cover rule calibrated to the same target.

Scores (per series and pooled) are over the days from the first possible arrival (day L) to the end of the
last complete review cycle. A cycle of the review on day t is days t+L .. t+L+R−1: the days that review's
decision protects. Cycle service level = share of cycles without lost sales; fill rate = units sold / units
demanded.

Every policy is replayed at each level of a sweep of targets as well (``SWEEP_LEVELS``): the achieved service
against the average inventory it took is each policy's trade-off curve, and ``matched`` reads off each curve
the inventory needed for the same achieved service, so policies are compared at equal service rather than at
equal nominal targets (which the three policies meet with different accuracy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from model.artifact import Forecaster
from model.distribution import window_quantiles
from model.panel import Panel
from model.progress import report
from model.replenishment import PolicyInputs, order_up_to, suggested_order
from model.report import aligned
from model.snaive import SeasonalNaiveForecaster

__all__ = [
    "Simulation",
    "simulate",
    "summarize",
    "cover_days",
    "inventory_backtest",
    "inventory_text",
    "inventory_at",
    "matched",
    "sweep_levels",
    "SWEEP_LEVELS",
    "POLICIES",
    "TRAILING_DAYS",
    "SAMPLE_PATHS",
]

POLICIES = ("model", "seasonal_naive", "weeks_of_cover")
#: Days of sales the weeks-of-cover rule averages.
TRAILING_DAYS = 28
#: Sample paths per series and review: what the endpoint draws for window quantiles (model.inference).
SAMPLE_PATHS = 1000
#: Target levels every policy is also replayed at, for its service-vs-inventory curve (the target is added).
SWEEP_LEVELS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
#: How close to the target the achieved cycle service level must be (issue 18's goal).
CSL_TOLERANCE = 0.03


@dataclass(frozen=True)
class Simulation:
    """Daily trace of one policy: arrays of shape (N, D) except ``cycle_ok`` (N, cycles)."""

    on_hand: np.ndarray  # end of day, after sales
    sold: np.ndarray
    lost: np.ndarray
    ordered: np.ndarray  # units ordered on the day (review days only)
    cycle_ok: np.ndarray  # True where a complete cycle had no lost sales
    scored: slice  # the days the scores cover


def simulate(demand: np.ndarray, up_to: np.ndarray, inputs: PolicyInputs) -> Simulation:
    """Replay one policy over ``demand`` (N, D) with reviews every R days (every day when R = 0) from day 0.

    ``up_to`` (N, reviews) is S at each review. Day order: receipts due, then the
    review's order (arriving the same day when L = 0), then sales (lost when stock runs out).
    """
    demand = np.asarray(demand, dtype=np.float64)
    if demand.ndim != 2 or np.isnan(demand).any() or (demand < 0).any():
        raise ValueError("demand must be a 2-D array of units >= 0 without NaN")
    n, days = demand.shape
    lead, step = inputs.lead_time_days, max(inputs.review_period_days, 1)
    review_days = np.arange(0, days, step)
    if up_to.shape != (n, review_days.size):
        raise ValueError(f"up_to must have shape ({n}, {review_days.size}): one column per review")
    on_hand = up_to[:, 0].astype(np.float64).copy()
    pipeline = np.zeros((n, days + lead + 1))  # receipts by arrival day
    trace = {k: np.zeros((n, days)) for k in ("on_hand", "sold", "lost", "ordered")}
    for d in range(days):
        on_hand += pipeline[:, d]
        if d % step == 0:
            j = d // step
            position = on_hand + pipeline[:, d + 1 :].sum(axis=1)
            q = suggested_order(position, up_to[:, j], inputs.moq, inputs.pack_size)
            trace["ordered"][:, d] = q
            if lead == 0:
                on_hand += q
            else:
                pipeline[:, d + lead] += q
        sold = np.minimum(on_hand, demand[:, d])
        on_hand -= sold
        trace["sold"][:, d], trace["lost"][:, d], trace["on_hand"][:, d] = sold, demand[:, d] - sold, on_hand
    starts = review_days + lead
    complete = starts + step - 1 <= days - 1
    lost = trace["lost"]
    cycle_ok = np.zeros((n, 0), dtype=bool)
    if complete.any():
        cycle_ok = np.stack([lost[:, t : t + step].sum(axis=1) <= 0 for t in starts[complete]], axis=1)
    last = int(starts[complete][-1] + step) if complete.any() else lead
    return Simulation(cycle_ok=cycle_ok, scored=slice(lead, last), **trace)


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


def _scores(sim: Simulation, rows: np.ndarray | slice) -> dict[str, Any]:
    span = sim.scored
    demand = float(sim.sold[rows, span].sum() + sim.lost[rows, span].sum())
    on_hand = sim.on_hand[rows, span]
    cycles = sim.cycle_ok[rows]
    n_series = on_hand.shape[0] if on_hand.ndim == 2 else 1
    days = on_hand.shape[-1]
    return {
        "demand": demand,
        "sold": float(sim.sold[rows, span].sum()),
        "lost": float(sim.lost[rows, span].sum()),
        "fill_rate": _ratio(float(sim.sold[rows, span].sum()), demand),
        "cycles": int(cycles.size),
        "cycles_without_stockout": int(cycles.sum()),
        "cycle_service_level": _ratio(float(cycles.sum()), float(cycles.size)),
        # Units held on an average day (summed over the series pooled); units-days = that × days.
        "avg_on_hand": float(on_hand.sum()) / days if days else 0.0,
        "units_days": float(on_hand.sum()),
        "stockout_days": int((sim.lost[rows, span] > 0).sum()),
        "stockout_day_share": _ratio(float((sim.lost[rows, span] > 0).sum()), float(n_series * days)),
        "orders": int((sim.ordered[rows] > 0).sum()),
        "units_ordered": float(sim.ordered[rows].sum()),
    }


def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


def summarize(sim: Simulation, ids: list[str]) -> dict[str, Any]:
    """Scores pooled over all series and per series (keyed by series id)."""
    return {
        "pooled": _rounded(_scores(sim, slice(None))),
        "series": {sid: _rounded(_scores(sim, np.array([i]))) for i, sid in enumerate(ids)},
    }


def _windows(y: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums and observed counts of ``y`` (N, T) over the ``width`` columns ending at each column t."""
    obs = np.isfinite(y)
    cs = np.concatenate([np.zeros((y.shape[0], 1)), np.nan_to_num(y).cumsum(axis=1)], axis=1)
    cn = np.concatenate([np.zeros((y.shape[0], 1)), obs.cumsum(axis=1)], axis=1)
    sums = np.full(y.shape, np.nan)
    counts = np.zeros(y.shape)
    sums[:, width - 1 :] = cs[:, width:] - cs[:, :-width]
    counts[:, width - 1 :] = cn[:, width:] - cn[:, :-width]
    return sums, counts


def cover_days(history: np.ndarray, protection: int, service_levels: np.ndarray) -> np.ndarray:
    """Per service level, the one cover c (days of trailing-mean demand) that covered demand over the next
    ``protection`` days in that share of the series-days of ``history`` (N, T): the weeks-of-cover rule."""
    sums, counts = _windows(history, TRAILING_DAYS)
    mean = np.where(counts >= TRAILING_DAYS // 2, sums / np.maximum(counts, 1), np.nan)
    ahead, seen = _windows(history, protection)
    # Demand over t+1 .. t+P is the window sum ending at t + P.
    future = np.full(history.shape, np.nan)
    future[:, : history.shape[1] - protection] = np.where(seen == protection, ahead, np.nan)[:, protection:]
    ok = np.isfinite(mean) & np.isfinite(future) & (mean > 0)
    if not ok.any():
        raise ValueError(
            "weeks of cover: no series has a trailing mean and the demand after it in the history"
        )
    return np.quantile(future[ok] / mean[ok], np.asarray(service_levels, dtype=np.float64))


def _forecast_levels(
    forecaster: Forecaster,
    panel: Panel,
    origin: int,
    protection: int,
    levels: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """S per series (rows) and service level (columns) from a forecaster's sample paths at ``origin``."""
    fc = forecaster.predict(panel.truncate(origin, protection), protection, levels, SAMPLE_PATHS, rng)
    return order_up_to(window_quantiles(fc.paths, 1, protection, levels))


def sweep_levels(target: float) -> np.ndarray:
    """The target levels each policy is replayed at: ``SWEEP_LEVELS`` and the target itself."""
    return np.array(sorted({*SWEEP_LEVELS, target}))


def inventory_backtest(
    panel: Panel,
    origins: list[int],
    horizon: int,
    model_at: Callable[[int], Forecaster] | None,
    inputs: PolicyInputs,
    seed: int = 0,
) -> dict[str, Any]:
    """Replay the backtest windows (``origins``, each followed by ``horizon`` days) under each policy, at the
    target service level and at each level of the sweep.

    ``model_at(origin)`` is the model as fitted for the window containing history column ``origin`` (None:
    the model policy is left out). Unobserved days (closed, before a series' first sale) count as no demand.
    """
    if panel.freq != "D":
        raise ValueError("the inventory backtest needs daily data (--freq D): lead times are in days")
    if inputs.protection_days > horizon:
        raise ValueError(
            f"inventory backtest: lead time + review period ({inputs.protection_days} days) must not exceed "
            f"the horizon ({horizon} days)"
        )
    first, last = origins[0] + 1, origins[-1] + horizon
    observed = panel.y[:, first : last + 1]
    # Unobserved days (closed, not yet selling) had no sales: no demand to serve or lose.
    demand = np.nan_to_num(observed)
    ids = list(panel.ids)
    step = max(inputs.review_period_days, 1)
    reviews = list(range(first, last + 1, step))
    rng = np.random.default_rng(seed)
    naive = SeasonalNaiveForecaster()
    levels = sweep_levels(inputs.service_level)
    at_target = int(np.searchsorted(levels, inputs.service_level))
    # Per policy, one (series × level) array of S per review: every level comes from the same sample paths.
    up_to: dict[str, list[np.ndarray]] = {p: [] for p in POLICIES}
    cover = cover_days(panel.y[:, :first], inputs.protection_days, levels)
    sums, counts = _windows(panel.y, TRAILING_DAYS)
    for j, day in enumerate(reviews):
        report("inventory", j, len(reviews), "reviews", "replaying orders")
        origin = day - 1
        if model_at is not None:
            model = model_at(origin)
            up_to["model"].append(_forecast_levels(model, panel, origin, inputs.protection_days, levels, rng))
        up_to["seasonal_naive"].append(
            _forecast_levels(naive, panel, origin, inputs.protection_days, levels, rng)
        )
        mean = np.nan_to_num(sums[:, origin] / np.maximum(counts[:, origin], 1))
        up_to["weeks_of_cover"].append(order_up_to(np.outer(mean, cover)))
    report("inventory", len(reviews), len(reviews), "reviews")
    policies: dict[str, Any] = {}
    for name, cols in up_to.items():
        if not cols:
            continue
        by_review = np.stack(cols, axis=1)  # (series, reviews, levels)
        sims = [simulate(demand, by_review[:, :, k], inputs) for k in range(levels.size)]
        policies[name] = {
            **summarize(sims[at_target], ids),
            "curve": [
                {"service_level": float(a), **_curve_point(_scores(sim, slice(None)))}
                for a, sim in zip(levels, sims, strict=True)
            ],
        }
    policies["weeks_of_cover"]["cover_days"] = round(float(cover[at_target]), 3)
    dates = panel.dates(np.array([[first, last]]) - (panel.n_periods - 1))[0]
    return {
        "settings": {
            **asdict(inputs),
            "first_day": str(dates[0]),
            "last_day": str(dates[1]),
            "days": int(last - first + 1),
            "reviews": len(reviews),
            "series": len(ids),
            "unobserved_series_days": int(np.isnan(observed).sum()),
            "sample_paths": SAMPLE_PATHS,
            "trailing_days": TRAILING_DAYS,
            "sweep_levels": [float(a) for a in levels],
        },
        "policies": policies,
        "goal": goal(policies, inputs.service_level),
        "matched": matched(policies, inputs.service_level),
    }


def _curve_point(scores: dict[str, Any]) -> dict[str, Any]:
    keys = ("cycle_service_level", "fill_rate", "avg_on_hand", "stockout_days")
    return _rounded({k: scores[k] for k in keys})


def inventory_at(curve: list[dict[str, Any]], metric: str, service: float) -> float | None:
    """The average on hand a policy needs to achieve ``service`` on ``metric``, read off its sweep by linear
    interpolation; None outside the achieved range. Points whose service does not rise above an earlier
    point's (noise: more stock for no more service) are left out, so the curve is increasing."""
    xs: list[float] = []
    ys: list[float] = []
    for point in sorted(curve, key=lambda p: p["service_level"]):
        x = point[metric]
        if x is not None and (not xs or x > xs[-1]):
            xs.append(x)
            ys.append(point["avg_on_hand"])
    if not xs or not xs[0] <= service <= xs[-1]:
        return None
    return round(float(np.interp(service, xs, ys)), 1)


def matched(policies: dict[str, Any], target: float) -> dict[str, Any]:
    """Inventory at equal achieved service: for cycle service level and fill rate, at the target and at what
    each policy achieved at the target, each policy's average on hand read off its trade-off curve; and the
    check that the model needs less than each alternative at the target (None where a curve does not reach
    it)."""
    out: dict[str, Any] = {}
    for metric in ("cycle_service_level", "fill_rate"):
        at = {round(target, 4)}
        at |= {
            round(p["pooled"][metric], 4) for p in policies.values() if p["pooled"].get(metric) is not None
        }
        out[metric] = [
            {
                "service": s,
                "avg_on_hand": {p: inventory_at(v["curve"], metric, s) for p, v in policies.items()},
            }
            for s in sorted(at)
        ]
    checks: dict[str, Any] = {}
    if "model" in policies:
        for metric in ("cycle_service_level", "fill_rate"):
            stock = next(r for r in out[metric] if r["service"] == round(target, 4))["avg_on_hand"]
            for alt in (p for p in policies if p != "model"):
                mine, theirs = stock["model"], stock[alt]
                checks[f"{metric}_vs_{alt}"] = {
                    "met": None if mine is None or theirs is None else mine < theirs,
                    "avg_on_hand": [mine, theirs],
                }
    results = [c["met"] for c in checks.values()]
    met = False if False in results else (None if None in results or not results else True)
    return {**out, "goal": {"met": met, "checks": checks}}


def goal(policies: dict[str, Any], target: float) -> dict[str, Any]:
    """Issue 18's goal for the model policy: cycle service level within ±3 points of the target, and against
    each alternative the same or better cycle service level with less average inventory."""
    if "model" not in policies:
        return {"met": None, "checks": {}}
    model = policies["model"]["pooled"]
    csl = model["cycle_service_level"]
    checks: dict[str, Any] = {
        "csl_within_3_points": {
            "met": csl is not None and abs(csl - target) <= CSL_TOLERANCE,
            "target": target,
            "achieved": csl,
        }
    }
    for alt in (p for p in policies if p != "model"):
        other = policies[alt]["pooled"]
        checks[f"vs_{alt}"] = {
            "met": csl is not None
            and other["cycle_service_level"] is not None
            and csl >= other["cycle_service_level"]
            and model["avg_on_hand"] < other["avg_on_hand"],
            "cycle_service_level": [csl, other["cycle_service_level"]],
            "fill_rate": [model["fill_rate"], other["fill_rate"]],
            "avg_on_hand": [model["avg_on_hand"], other["avg_on_hand"]],
        }
    return {"met": all(c["met"] for c in checks.values()), "checks": checks}


def _pct(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def inventory_text(result: dict[str, Any]) -> str:
    """The pooled table, one row per policy, and the goal's verdict."""
    s = result["settings"]
    head = ["policy", "fill rate", "cycle SL", "avg on hand", "units-days", "stockout days", "orders"]
    rows = [head]
    for name, p in result["policies"].items():
        r = p["pooled"]
        rows.append(
            [
                name,
                _pct(r["fill_rate"]),
                _pct(r["cycle_service_level"]),
                f"{r['avg_on_hand']:.1f}",
                f"{r['units_days']:.0f}",
                str(r["stockout_days"]),
                str(r["orders"]),
            ]
        )
    lines = [
        f"inventory backtest: {s['series']} series, {s['first_day']}..{s['last_day']} ({s['days']} days, "
        f"{s['reviews']} reviews); lead time {s['lead_time_days']} d, review period "
        f"{s['review_period_days']} d, target cycle service level {_pct(s['service_level'])}",
        *aligned(rows),
    ]
    if "weeks_of_cover" in result["policies"]:
        c = result["policies"]["weeks_of_cover"]["cover_days"]
        days = s["trailing_days"]
        lines.append(f"weeks_of_cover: S = {c:.2f} days ({c / 7:.2f} weeks) of the trailing {days}-day mean")
    if s["unobserved_series_days"]:
        lines.append(
            f"note: {s['unobserved_series_days']} unobserved series-days (closed) counted as no demand"
        )
    g = result["goal"]
    if g["met"] is not None:
        verdict = "met" if g["met"] else "NOT met"
        failed = [k for k, c in g["checks"].items() if not c["met"]]
        lines.append(
            "goal (issue 18, at the same target): "
            + verdict
            + (f"; failed: {', '.join(failed)}" if failed else "")
        )
    return "\n".join([*lines, "", *_tradeoff_lines(result)])


def _tradeoff_lines(result: dict[str, Any]) -> list[str]:
    """The sweep (achieved cycle service level / fill rate / average on hand per target) and the inventory
    each policy needs at matched achieved service."""
    names = list(result["policies"])
    rows = [["target", *names]]
    for k, a in enumerate(result["settings"]["sweep_levels"]):
        cells = []
        for n in names:
            pt = result["policies"][n]["curve"][k]
            cells.append(
                f"{_pct(pt['cycle_service_level'])} / {_pct(pt['fill_rate'])} / {pt['avg_on_hand']:.0f}"
            )
        rows.append([_pct(a), *cells])
    lines = ["trade-off (each policy swept over targets): cycle SL / fill rate / avg on hand", *aligned(rows)]
    m = result["matched"]
    rows = [["at equal achieved", *names]]
    for metric, label in (("cycle_service_level", "cycle SL"), ("fill_rate", "fill rate")):
        for r in m[metric]:
            stock = r["avg_on_hand"]
            rows.append(
                [
                    f"{label} {_pct(r['service'], 2)}",
                    *("-" if stock[n] is None else f"{stock[n]:.0f}" for n in names),
                ]
            )
    lines += [
        "avg on hand needed for the same achieved service ('-': not reached in the sweep)",
        *aligned(rows),
    ]
    if m["goal"]["checks"]:
        verdict = {True: "met", False: "NOT met", None: "undecided"}[m["goal"]["met"]]
        failed = [k for k, c in m["goal"]["checks"].items() if c["met"] is not True]
        lines.append(
            "goal at matched service (less stock than each alternative for the target's service): "
            + verdict
            + (f"; not met or not reached: {', '.join(failed)}" if failed else "")
        )
    return lines
