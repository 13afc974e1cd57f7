/**
 * Replenishment advice from the forecast distribution of cumulative demand over the protection interval
 * (lead time + review period). The distribution is the endpoint's window quantiles (quantiles of the sum over
 * the window, from sample paths) or the sample paths themselves; daily quantiles are never added up, because
 * the quantile of a sum is not the sum of quantiles. Method and assumptions: docs/replenishment.md.
 */

/** The distribution of one window's cumulative demand. */
export type DemandDistribution =
  | {
      readonly kind: "window_quantiles";
      readonly mean: number;
      readonly quantiles: Readonly<Record<string, number>>;
    }
  | { readonly kind: "sample_paths"; readonly mean: number; readonly totals: readonly number[] };

export interface ReplenishmentInputs {
  readonly lead_time_days: number;
  readonly review_period_days: number;
  /** Target probability of no stockout over the protection interval (cycle service level). */
  readonly service_level: number;
  readonly on_hand: number;
  readonly on_order: number;
  readonly moq: number;
  readonly pack_size: number;
}

export interface ReplenishmentAdvice {
  readonly protection_days: number;
  readonly expected_demand: number;
  readonly reorder_point: number;
  readonly order_up_to_level: number;
  readonly safety_stock: number;
  readonly inventory_position: number;
  readonly suggested_order_quantity: number;
  readonly stockout_risk: number;
  readonly stockout_risk_without_order: number;
  readonly days_of_cover: number;
  readonly days_of_cover_capped: boolean;
  readonly distribution: DemandDistribution["kind"];
}

/** Levels the API asks the endpoint for, so the CDF can be read at any stock level (plus the service level). */
export const RISK_GRID: readonly number[] = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99,
];

/** Sorted (level, value) pairs of a quantile map, values made non-decreasing (guarding float noise). */
function quantilePairs(quantiles: Readonly<Record<string, number>>): [number, number][] {
  const pairs = Object.entries(quantiles)
    .map(([k, v]) => [Number(k), v] as [number, number])
    .filter(([q, v]) => Number.isFinite(q) && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  if (pairs.length === 0) throw new Error("a window distribution needs at least one quantile");
  for (let i = 1; i < pairs.length; i++) pairs[i][1] = Math.max(pairs[i][1], pairs[i - 1][1]);
  return pairs;
}

/** The level-α quantile: exact when the endpoint returned α, else linear between neighbouring levels. */
export function quantileAt(dist: DemandDistribution, alpha: number): number {
  if (dist.kind === "sample_paths") {
    const sorted = [...dist.totals].sort((a, b) => a - b);
    if (sorted.length === 0) throw new Error("a sample distribution needs at least one path");
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(alpha * sorted.length) - 1))];
  }
  const pairs = quantilePairs(dist.quantiles);
  if (alpha <= pairs[0][0]) return pairs[0][1];
  for (let i = 1; i < pairs.length; i++) {
    const [q1, v1] = pairs[i];
    if (alpha <= q1) {
      const [q0, v0] = pairs[i - 1];
      return v0 + ((v1 - v0) * (alpha - q0)) / (q1 - q0);
    }
  }
  return pairs[pairs.length - 1][1];
}

/**
 * P(demand > stock). From sample paths: the share of paths above. From quantiles: the CDF interpolated
 * linearly between levels; beyond the highest level the risk is reported as 1 − that level (the tail is not
 * known finer than the grid), below the lowest value linearly from P(D ≤ 0) = 0.
 */
export function exceedanceProbability(dist: DemandDistribution, stock: number): number {
  if (dist.kind === "sample_paths") {
    if (dist.totals.length === 0) throw new Error("a sample distribution needs at least one path");
    return dist.totals.filter((t) => t > stock).length / dist.totals.length;
  }
  const pairs = quantilePairs(dist.quantiles);
  const [qLow, vLow] = pairs[0];
  let cdf: number;
  if (stock < vLow) cdf = stock <= 0 ? 0 : (qLow * stock) / vLow;
  else {
    let i = pairs.length - 1;
    while (i > 0 && pairs[i][1] > stock) i--;
    const [q0, v0] = pairs[i];
    const next = pairs[i + 1];
    cdf = next && next[1] > v0 ? q0 + ((next[0] - q0) * (stock - v0)) / (next[1] - v0) : q0;
  }
  return clamp01(1 - cdf);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Days until on hand runs out at the mean daily demand (means add up; quantiles would not), linear within the
 * day it runs out. Capped at the horizon when stock outlasts it.
 */
export function daysOfCover(
  onHand: number,
  dailyMeans: readonly number[],
): { days: number; capped: boolean } {
  let cumulative = 0;
  for (let i = 0; i < dailyMeans.length; i++) {
    const m = Math.max(0, dailyMeans[i]);
    if (cumulative + m > onHand) return { days: i + (m > 0 ? (onHand - cumulative) / m : 0), capped: false };
    cumulative += m;
  }
  return { days: dailyMeans.length, capped: true };
}

/** Order quantity for a need: at least the MOQ, rounded up to whole packs. */
export function orderQuantity(need: number, moq: number, packSize: number): number {
  if (need <= 0) return 0;
  const units = Math.max(need, moq);
  return Math.ceil(units / packSize - 1e-9) * packSize;
}

/**
 * Periodic-review order-up-to (R, S) advice for one series at a review:
 * - order-up-to level S = the service-level quantile of cumulative demand over lead time + review period (the
 *   protection interval): the order placed now must cover demand until the order placed at the next review
 *   arrives, so S is set for L + R days and nothing more (adding a review period's demand on top would count
 *   the review period twice and overshoot the target);
 * - reorder point s = S: with no ordering cost in the inputs there is no reason to skip a review while the
 *   position is below S (the MOQ and pack size set the lot);
 * - safety stock = S − mean demand over the protection interval;
 * - order S − IP when IP < S, raised to the MOQ and rounded up to whole packs.
 * `protection` is the distribution over steps 1..L+R; `dailyMeans` the daily forecast means from step 1.
 * With L + R = 0 (continuous review, an order arrives at once) nothing can run out before an order arrives:
 * there is no protection interval, and `protection` is not read (undefined is fine).
 */
export function recommend(
  inputs: ReplenishmentInputs,
  protection: DemandDistribution | undefined,
  dailyMeans: readonly number[],
): ReplenishmentAdvice {
  const L = inputs.lead_time_days;
  const R = inputs.review_period_days;
  if (L + R < 0) throw new Error("lead_time_days + review_period_days must not be negative");
  if (dailyMeans.length < L + R)
    throw new Error(`dailyMeans must cover ${L + R} days, got ${dailyMeans.length}`);
  const position = inputs.on_hand + inputs.on_order;
  const cover = daysOfCover(inputs.on_hand, dailyMeans);
  if (L + R === 0 || protection === undefined) {
    if (L + R !== 0) throw new Error(`a protection interval of ${L + R} days needs its distribution`);
    return {
      protection_days: 0,
      expected_demand: 0,
      reorder_point: 0,
      order_up_to_level: 0,
      safety_stock: 0,
      inventory_position: round(position),
      suggested_order_quantity: 0,
      stockout_risk: 0,
      stockout_risk_without_order: 0,
      days_of_cover: round(cover.days, 2),
      days_of_cover_capped: cover.capped,
      distribution: "window_quantiles",
    };
  }
  const orderUpTo = Math.ceil(quantileAt(protection, inputs.service_level) - 1e-9);
  const quantity = orderQuantity(orderUpTo - position, inputs.moq, inputs.pack_size);
  return {
    protection_days: L + R,
    expected_demand: round(protection.mean),
    reorder_point: orderUpTo,
    order_up_to_level: orderUpTo,
    safety_stock: round(orderUpTo - protection.mean),
    inventory_position: round(position),
    suggested_order_quantity: quantity,
    stockout_risk: round(exceedanceProbability(protection, position + quantity)),
    stockout_risk_without_order: round(exceedanceProbability(protection, position)),
    days_of_cover: round(cover.days, 2),
    days_of_cover_capped: cover.capped,
    distribution: protection.kind,
  };
}
