import { backtestOf } from "../../functions/predict/model-route";

export interface StageTiming {
  readonly stage: string;
  readonly seconds: number;
}

const fmt = (v: unknown, pct = false): string =>
  typeof v !== "number" ? "-" : pct ? `${(100 * v).toFixed(1)}%` : v.toFixed(3);

/** The backtest table (model vs baselines) from a metrics.json, as the API's GET /v1/model reads it. */
export function backtestTable(metrics: unknown): string {
  const bt = backtestOf(metrics) as
    | {
        freq: string;
        horizon: number;
        origins: number;
        series: number;
        primary_metric: string;
        methods: Record<string, unknown>[];
      }
    | undefined;
  if (!bt) return "no backtest in this model's metrics.json";
  const head = ["method", "MASE", "RMSSE", "WAPE", "bias", "pinball", "cov80"];
  const rows = bt.methods.map((m) => [
    String(m.method),
    fmt(m.mase),
    fmt(m.rmsse),
    fmt(m.wape, true),
    fmt(m.bias, true),
    fmt(m.pinball),
    fmt(m.coverage_80, true),
  ]);
  const widths = head.map((_, i) => Math.max(...[head, ...rows].map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    `backtest: ${bt.series} series, freq ${bt.freq}, horizon ${bt.horizon}, ${bt.origins} origins (lower is better; cov80 should be near 80%)`,
    `  ${line(head)}`,
    ...rows.map((r) => `  ${line(r)}`),
  ].join("\n");
}

/** Per-stage seconds and the total, aligned. */
export function timingTable(timings: readonly StageTiming[]): string {
  const total = timings.reduce((s, t) => s + t.seconds, 0);
  const rows = [...timings, { stage: "total", seconds: total }];
  return rows.map((t) => `  ${t.stage.padEnd(8)} ${t.seconds.toFixed(1).padStart(7)} s`).join("\n");
}
