// CSV export of what the page shows for one series: one row per forecast day, the advice repeated on every row
// so the file is one flat table (a spreadsheet or pandas reads it as is).

const cell = (v) => {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const ADVICE = [
  "lead_time_days",
  "review_period_days",
  "service_level",
  "on_hand",
  "on_hand_source",
  "inventory_position",
  "suggested_order_quantity",
  "reorder_point",
  "order_up_to_level",
  "safety_stock",
  "stockout_risk_without_order",
  "days_of_cover",
];

/**
 * forecast: GET /v1/forecasts' `forecasts[0]`; modelVersion: its `model_version`; rec: one POST /v1/recommendations
 * answer; onHandSource: "entered", "data" or "assumed 0" (how the page chose on hand).
 */
export function forecastCsv(forecast, modelVersion, rec, onHandSource) {
  const levels = Object.keys(forecast.points[0]?.quantiles ?? {}).sort((a, b) => Number(a) - Number(b));
  const head = [
    "warehouse_id",
    "sku",
    "model_version",
    "method",
    "date",
    "step",
    "mean",
    ...levels.map((q) => `p${Math.round(Number(q) * 100)}`),
    ...ADVICE,
  ];
  const advice = {
    lead_time_days: rec.inputs.lead_time_days,
    review_period_days: rec.inputs.review_period_days,
    service_level: rec.inputs.service_level,
    on_hand: rec.inputs.on_hand,
    on_hand_source: onHandSource,
    inventory_position: rec.inventory_position,
    suggested_order_quantity: rec.suggested_order_quantity,
    reorder_point: rec.reorder_point,
    order_up_to_level: rec.order_up_to_level,
    safety_stock: rec.safety_stock,
    stockout_risk_without_order: rec.stockout_risk_without_order,
    days_of_cover: rec.days_of_cover,
  };
  const rows = forecast.points.map((p) => [
    forecast.warehouse_id,
    forecast.sku,
    modelVersion,
    forecast.method,
    p.date,
    p.step,
    p.mean,
    ...levels.map((q) => p.quantiles[q]),
    ...ADVICE.map((k) => advice[k]),
  ]);
  return [head, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

/** Hands `text` to the browser as a download named `name`. */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
