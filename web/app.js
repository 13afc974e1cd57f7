import { WarecastApi, loadConfig } from "./api.js";
import { demandChartConfig, stockChartConfig } from "./charts.js";

const HISTORY_DAYS = 120;
const HORIZON = 28;
const $ = (id) => document.getElementById(id);

// Exposed for the browser test: the charts the page drew, next to the API answers they were drawn from.
const state = {
  series: [],
  charts: {},
  forecast: null,
  history: null,
  recommendation: null,
  model: null,
  ready: false,
  panelsReady: false,
};
window.warecastDashboard = state;

const fmt = (v, digits = 0) =>
  v === null || v === undefined || Number.isNaN(Number(v))
    ? "–"
    : Number(v).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (v, digits = 1) => (v === null || v === undefined ? "–" : `${fmt(Number(v) * 100, digits)} %`);

function showError(err) {
  const box = $("error");
  box.hidden = false;
  box.textContent = err instanceof Error ? err.message : String(err);
}

function clearError() {
  $("error").hidden = true;
}

function setPill(id, text, cls) {
  const el = $(id);
  el.textContent = text;
  el.className = `pill ${cls ?? ""}`;
}

function draw(name, canvasId, config) {
  state.charts[name]?.destroy();
  // Chart is the UMD global from vendor/chart.umd.min.js.
  state.charts[name] = new window.Chart($(canvasId), config);
}

/** True when the data has no inventory snapshot for the series (the API then needs on_hand in the request). */
function stockUnknown(warehouseId, sku) {
  const s = state.series.find((x) => x.warehouse_id === warehouseId && x.sku === sku);
  return !s || s.on_hand === null;
}

/**
 * The recommendation request for a series with the page's settings. On hand: the field when filled in, else the
 * last known from the data; without either, 0 (what to order if the shelf is empty), and the page says so.
 */
function requestItem(warehouseId, sku) {
  const onHand = $("on-hand").value;
  const assumeEmpty = onHand === "" && stockUnknown(warehouseId, sku);
  return {
    warehouse_id: warehouseId,
    sku,
    lead_time_days: Number($("lead-time").value),
    review_period_days: Number($("review-period").value),
    service_level: Number($("service-level").value),
    ...(onHand !== "" ? { on_hand: Number(onHand) } : assumeEmpty ? { on_hand: 0 } : {}),
  };
}

const assumedEmpty = (r) => $("on-hand").value === "" && stockUnknown(r.warehouse_id, r.sku);

async function renderHealth(api) {
  const h = await api.health();
  setPill("health-pill", h.status, h.status === "ok" ? "ok" : h.status === "degraded" ? "warn" : "bad");
  setPill("model-pill", `model ${h.model?.version ?? "unavailable"}`);
  const fresh = h.data?.last_run_finished_at;
  setPill(
    "data-pill",
    fresh ? `ETL ${fresh.slice(0, 16).replace("T", " ")} UTC` : "no ETL run",
    h.data?.stale ? "warn" : "",
  );
}

function fillSelect(select, values, label = (v) => v) {
  select.replaceChildren(
    ...values.map((v) => {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = label(v);
      return o;
    }),
  );
}

function skusOf(warehouseId) {
  return state.series.filter((s) => s.warehouse_id === warehouseId).map((s) => s.sku);
}

async function renderSeries(api) {
  const warehouseId = $("warehouse").value;
  const sku = $("sku").value;
  if (!warehouseId || !sku) return;
  clearError();
  document.body.classList.add("loading");
  try {
    const [fc, hist, recs] = await Promise.all([
      api.forecast(warehouseId, sku, HORIZON),
      api.history(warehouseId, sku, HISTORY_DAYS),
      api.recommendations([requestItem(warehouseId, sku)]),
    ]);
    const series = fc.forecasts[0];
    const rec = recs.recommendations[0];
    state.forecast = series;
    state.history = hist;
    state.recommendation = rec;
    state.selected = { warehouse_id: warehouseId, sku };

    $("series-title").textContent = `${sku} · ${warehouseId}`;
    $("series-method").textContent =
      `${series.method} · data to ${series.last_data_date} · ${HORIZON}-day forecast`;
    draw("demand", "demand-chart", demandChartConfig(hist.days, series.points));
    draw("stock", "stock-chart", stockChartConfig(series.points, rec));

    const stockouts = hist.days.filter((d) => d.stockout).length;
    const closed = hist.days.filter((d) => d.closed).length;
    const promos = hist.days.filter((d) => d.promo).length;
    $("series-facts").textContent =
      `Last ${hist.days.length} days: ${stockouts} stockout, ${promos} promo, ${closed} closed day(s). ` +
      `Next ${HORIZON} days: ${fmt(series.points.reduce((s, p) => s + p.mean, 0))} units expected.`;

    $("kpi-order").textContent = fmt(rec.suggested_order_quantity);
    $("kpi-rop").textContent = fmt(rec.reorder_point, 1);
    $("kpi-out").textContent = fmt(rec.order_up_to_level, 1);
    $("kpi-ss").textContent = fmt(rec.safety_stock, 1);
    const empty = assumedEmpty(rec);
    $("kpi-risk").textContent = empty ? "–" : pct(rec.stockout_risk_without_order);
    $("kpi-risk").className = empty ? "" : riskClass(rec.stockout_risk_without_order);
    $("kpi-cover").textContent = empty
      ? "–"
      : `${fmt(rec.days_of_cover, 1)}${rec.days_of_cover_capped ? "+" : ""}`;
    const inp = rec.inputs;
    $("kpi-note").textContent =
      (empty
        ? "No inventory data for this series: on hand taken as 0, so the order is the full order-up-to level (enter on hand above). "
        : `Inventory position ${fmt(rec.inventory_position)} (on hand ${fmt(inp.on_hand)} + on order ${fmt(inp.on_order)}). `) +
      `Demand over ${inp.lead_time_days} d lead time + ${inp.review_period_days} d review at ${pct(inp.service_level, 0)} service; ` +
      `risk shown is before ordering (${pct(rec.stockout_risk)} after the suggested order).`;
  } finally {
    document.body.classList.remove("loading");
  }
}

const riskClass = (r) => (r >= 0.5 ? "risk-high" : r >= 0.2 ? "risk-mid" : "risk-low");

async function renderRisks(api, batch) {
  const items = state.series.map((s) => requestItem(s.warehouse_id, s.sku));
  const recs = [];
  for (let i = 0; i < items.length; i += batch) {
    const page = await api.recommendations(items.slice(i, i + batch));
    recs.push(...page.recommendations);
  }
  // Series with inventory data first, by risk; those without (on hand taken as 0) by the order they need.
  recs.sort(
    (a, b) =>
      assumedEmpty(a) - assumedEmpty(b) ||
      b.stockout_risk_without_order - a.stockout_risk_without_order ||
      a.days_of_cover - b.days_of_cover ||
      b.suggested_order_quantity - a.suggested_order_quantity,
  );
  state.risks = recs;
  const body = $("risk-table").querySelector("tbody");
  body.replaceChildren(
    ...recs.slice(0, 10).map((r) => {
      const tr = document.createElement("tr");
      const risk = assumedEmpty(r)
        ? `<span class="badge unknown" title="No inventory data: on hand taken as 0">no stock data</span>`
        : `<span class="badge ${riskClass(r.stockout_risk_without_order)}">${pct(r.stockout_risk_without_order, 0)}</span>`;
      const cover = assumedEmpty(r) ? "–" : `${fmt(r.days_of_cover, 1)}${r.days_of_cover_capped ? "+" : ""}`;
      tr.innerHTML = `<td></td><td></td><td>${risk}</td><td>${cover}</td><td>${fmt(r.suggested_order_quantity)}</td>`;
      tr.children[0].textContent = r.sku;
      tr.children[1].textContent = r.warehouse_id;
      tr.tabIndex = 0;
      tr.title = "Show this series";
      tr.addEventListener("click", () => selectSeries(api, r.warehouse_id, r.sku));
      return tr;
    }),
  );
  const unknown = recs.filter(assumedEmpty).length;
  $("risk-note").textContent =
    unknown === 0
      ? `${recs.length} series, risk before ordering`
      : `${recs.length} series; ${unknown} without inventory data, ranked by the order they need from empty`;
}

const METRIC_COLS = [
  ["mase", "MASE", (v) => fmt(v, 3)],
  ["rmsse", "RMSSE", (v) => fmt(v, 3)],
  ["wape", "WAPE", (v) => pct(v)],
  ["bias", "Bias", (v) => pct(v)],
  ["pinball", "Pinball", (v) => fmt(v, 3)],
  ["coverage_80", "P10–P90 coverage", (v) => pct(v)],
];
const METHOD_NAMES = {
  model: "Warecast model",
  champion: "Previous model",
  seasonal_naive_empirical: "Seasonal naive + intervals",
  auto_ets: "AutoETS (statsforecast)",
  ets: "ETS (Holt-Winters)",
  seasonal_naive: "Seasonal naive",
  naive: "Naive (last value)",
};

async function renderBacktest(api) {
  const m = await api.model();
  state.model = m;
  const bt = m.backtest;
  const rows = bt?.methods ?? [];
  const primary = bt?.primary_metric ?? "rmsse";
  $("backtest-table").querySelector("thead").innerHTML =
    `<tr><th>Method</th>${METRIC_COLS.map(([k, label]) => `<th class="${k === primary ? "primary" : ""}">${label}</th>`).join("")}</tr>`;
  const best = rows.reduce(
    (b, r) => (r[primary] !== null && (b === null || r[primary] < b[primary]) ? r : b),
    null,
  );
  $("backtest-table")
    .querySelector("tbody")
    .replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement("tr");
        if (r === best) tr.className = "best";
        if (r.method === "model") tr.classList.add("ours");
        tr.innerHTML = `<td></td>${METRIC_COLS.map(([k, , f]) => `<td>${f(r[k])}</td>`).join("")}`;
        tr.children[0].textContent = METHOD_NAMES[r.method] ?? r.method;
        return tr;
      }),
    );
  const model = rows.find((r) => r.method === "model");
  const sn = rows.find((r) => r.method === "seasonal_naive");
  if (model && sn && sn[primary]) {
    const gain = 1 - model[primary] / sn[primary];
    $("kpi-gain").textContent = `${gain >= 0 ? "−" : "+"}${fmt(Math.abs(gain) * 100, 0)} %`;
    $("kpi-gain-note").textContent = `${primary.toUpperCase()} vs seasonal naive`;
  }
  $("backtest-note").textContent = bt
    ? `${bt.series} series × ${bt.origins} origins × ${bt.horizon} days · model ${m.model_version}`
    : (m.backtest_detail ?? `model ${m.model_version}`);
}

async function renderAccuracy(api) {
  const a = await api.accuracy();
  const rows = a.rows ?? [];
  const body = $("accuracy-table").querySelector("tbody");
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td colspan="5" class="empty">No served forecast has met its actual demand yet. Forecasts the API serves are
      logged; the next ETL run that sees their dates scores them here.</td>`;
    body.replaceChildren(tr);
  } else {
    body.replaceChildren(
      ...rows.slice(0, 14).map((r) => {
        const tr = document.createElement("tr");
        tr.innerHTML = `<td></td><td></td><td>${fmt(r.n)}</td><td>${pct(r.wape)}</td><td>${pct(r.bias)}</td>`;
        tr.children[0].textContent = r.date;
        tr.children[1].textContent = r.group === "__all__" ? "all warehouses" : r.group;
        return tr;
      }),
    );
  }
  $("accuracy-note").textContent = rows.length ? "served forecasts joined with actual demand" : "";
}

async function selectSeries(api, warehouseId, sku) {
  $("warehouse").value = warehouseId;
  fillSelect($("sku"), skusOf(warehouseId));
  $("sku").value = sku;
  window.scrollTo({ top: 0, behavior: "smooth" });
  await renderSeries(api).catch(showError);
}

async function main() {
  const api = new WarecastApi(await loadConfig());
  await renderHealth(api).catch(showError);
  state.series = (await api.series()).series;
  if (state.series.length === 0) {
    showError("No series yet: run `warecast etl` (or `warecast demo`) to load data.");
    return;
  }
  const warehouses = [...new Set(state.series.map((s) => s.warehouse_id))].sort();
  fillSelect($("warehouse"), warehouses);
  fillSelect($("sku"), skusOf(warehouses[0]));
  $("series-count").textContent = `${state.series.length} series · ${warehouses.length} warehouse(s)`;

  $("warehouse").addEventListener("change", () => {
    fillSelect($("sku"), skusOf($("warehouse").value));
    renderSeries(api).catch(showError);
  });
  $("sku").addEventListener("change", () => renderSeries(api).catch(showError));
  $("refresh").addEventListener("click", () => {
    renderSeries(api).catch(showError);
    renderRisks(api, 50).catch(showError);
  });

  await renderSeries(api).catch(showError);
  state.ready = true;
  await Promise.all([
    renderRisks(api, 50).catch(showError),
    renderBacktest(api).catch(showError),
    renderAccuracy(api).catch(showError),
  ]);
  state.panelsReady = true;
}

main().catch(showError);
