import { z } from "zod";
import type { Gate } from "./settings";

/**
 * The metric gate. train.py scores the challenger (the model it just fitted) and the champion (the model the
 * endpoint served when training started, passed in as the `champion` channel) on the same backtest windows and
 * writes both into metrics.json. The gate reads them; it never re-scores anything.
 */

const scores = () => z.record(z.string(), z.number().nullable());

/**
 * The part of metrics.json the gate reads: model/backtest.py's result. `setup` names the windows, and
 * `metrics` has one row per method scored in that one backtest run, so `model` (the challenger) and `champion`
 * are on the same windows by construction (docs/model.md).
 */
export const gateMetricsSchema = () =>
  z.object({
    model_version: z.string().optional(),
    setup: z.object({
      freq: z.string(),
      horizon: z.number().int(),
      windows: z.array(z.object({ origin: z.string() }).loose()).min(1),
    }),
    metrics: z.object({ model: scores(), champion: scores().optional() }).loose(),
  });
export type GateMetrics = z.infer<ReturnType<typeof gateMetricsSchema>>;

/** What the decision record keeps of the windows. */
export function evaluationWindows(m: GateMetrics): { freq: string; horizon: number; origins: string[] } {
  return { freq: m.setup.freq, horizon: m.setup.horizon, origins: m.setup.windows.map((w) => w.origin) };
}

export interface GateVerdict {
  readonly promote: boolean;
  readonly reason: string;
  readonly metric: string;
  readonly tolerance: number;
  readonly challenger?: number;
  readonly champion?: number;
  /** The largest challenger value that passes: champion × (1 + tolerance). */
  readonly threshold?: number;
}

/** Parses metrics.json text; the error says what is wrong, so the decision record can carry it. */
export function parseGateMetrics(text: string): GateMetrics {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`metrics.json is not JSON: ${(err as Error).message}`);
  }
  const parsed = gateMetricsSchema().safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`metrics.json does not have the gate's fields: ${issues}`);
  }
  return parsed.data;
}

/**
 * Promote when challenger ≤ champion × (1 + tolerance) on the gate metric (lower is better). A small positive
 * tolerance absorbs backtest noise so a model trained on fresher data wins a tie; 0 asks for "at least as good";
 * a negative tolerance asks for a margin of improvement.
 */
export function decideGate(metrics: GateMetrics, gate: Gate): GateVerdict {
  const base = { metric: gate.metric, tolerance: gate.tolerance };
  const challenger = metrics.metrics.model[gate.metric];
  if (challenger === undefined || challenger === null || !Number.isFinite(challenger)) {
    return { ...base, promote: false, reason: `challenger has no finite "${gate.metric}" score` };
  }
  const champ = metrics.metrics.champion;
  if (!champ) {
    return {
      ...base,
      promote: false,
      challenger,
      reason: "metrics.json has no champion score on the same windows",
    };
  }
  const champion = champ[gate.metric];
  if (champion === undefined || champion === null || !Number.isFinite(champion)) {
    return { ...base, promote: false, challenger, reason: `champion has no finite "${gate.metric}" score` };
  }
  const threshold = champion * (1 + gate.tolerance);
  const promote = challenger <= threshold;
  const reason = promote
    ? `challenger ${gate.metric} ${challenger.toFixed(4)} ≤ ${threshold.toFixed(4)} (champion ${champion.toFixed(4)} × (1 + ${gate.tolerance}))`
    : `challenger ${gate.metric} ${challenger.toFixed(4)} > ${threshold.toFixed(4)} (champion ${champion.toFixed(4)} × (1 + ${gate.tolerance}))`;
  return { ...base, promote, challenger, champion, threshold, reason };
}
