import { WarecastApi, loadConfig } from "./api.js";
import { demandChartConfig, stockChartConfig } from "./charts.js";

const HISTORY_DAYS = 120;
const RISK_BATCH = 50;
const $ = (id) => document.getElementById(id);

// Exposed for the browser test: what the page plotted, next to what the API answered.
const state = { series: [], charts: {}, forecast: null, recommendation: null, ready: false };
window.warecastDashboard = state;

const fmt = (v, digits = 0) =>
  v === null || v === undefined || Number.isNaN(Number(v))
    ? "–"
    : Number(v).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
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

function requestItem(warehouseId, sku) {
  const onHand = $("on-hand").value;
  return {
    warehouse_id: warehouseId,
    sku,
    lead_time_days: Number($("lead-time").value),
    review_period_days: Number($("review-period").value),
    service_level: Number($("service-level").value),
    ...(onHand === "" ? {} : { on_hand: Number(onHand) }),
  };
}

async function renderHealth(api) {
  const h = await api.health();
  setPill("health-pill", h.status, h.status === "ok" ? "ok" : "bad");
  setPill("model-pill", `model ${h.model?.version ?? "none"}`);
  const fresh = h.data?.last_run_finished_at ?? h.data?.last_etl_run_at;
  setPill("data-pill", fresh ? `data ${fresh.slice(0, 16).replace("T", " ")}` : "no ETL run");
}

function fillSelect(select, values) {
  select.replaceChildren(
    ...values.map((v) => {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = v;
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
  const [fc, recs] = await Promise.all([
    api.forecast(warehouseId, sku, HISTORY_DAYS),
    api.recommendations([requestItem(warehouseId, sku)]),
  ]);
  const series = fc.series[0];
  const rec = recs.recommendations[0];
  state.forecast = series;
  state.recommendation = rec;

  $("series-title").textContent = `Demand · ${warehouseId} / ${sku}`;
  $("series-method").textContent = `${series.method ?? ""} · model ${fc.model_version}`;
  draw("demand", "demand-chart", demandChartConfig(series.history ?? [], series.forecast));
  draw("stock", "stock-chart", stockChartConfig(series.forecast, rec));

  $("kpi-order").textContent = fmt(rec.suggested_order_quantity);
  $("kpi-rop").textContent = fmt(rec.reorder_point, 1);
  $("kpi-out").textContent = fmt(rec.order_up_to_level, 1);
  $("kpi-ss").textContent = fmt(rec.safety_stock, 1);
  $("kpi-risk").textContent = pct(rec.stockout_risk);
  $("kpi-cover").textContent = fmt(rec.days_of_cover, 1);
  $("kpi-note").textContent =
    `On hand ${fmt(rec.on_hand)}, on order ${fmt(rec.on_order)}; demand over lead time + review period ` +
    `(${rec.lead_time_days} + ${rec.review_period_days} d) at ${pct(rec.service_level, 0)} service.`;
}

async function renderRisks(api) {
  const items = state.series.map((s) => requestItem(s.warehouse_id, s.sku));
  const recs = [];
  for (let i = 0; i < items.length; i += RISK_BATCH) {
    const page = await api.recommendations(items.slice(i, i + RISK_BATCH));
    recs.push(...page.recommendations);
  }
  recs.sort((a, b) => b.stockout_risk - a.stockout_risk);
  const body = $("risk-table").querySelector("tbody");
  body.replaceChildren(
    ...recs.slice(0, 10).map((r) => {
      const tr = document.createElement("tr");
      const cls = r.stockout_risk >= 0.5 ? "risk-high" : r.stockout_risk >= 0.2 ? "risk-mid" : "";
      tr.innerHTML = `<td></td><td></td><td class="${cls}">${pct(r.stockout_risk)}</td><td>${fmt(r.days_of_cover, 1)}</td><td>${fmt(r.suggested_order_quantity)}</td>`;
      tr.children[0].textContent = r.warehouse_id;
      tr.children[1].textContent = r.sku;
      tr.style.cursor = "pointer";
      tr.addEventListener("click", () => selectSeries(api, r.warehouse_id, r.sku));
      return tr;
    }),
  );
  $("risk-note").textContent = `${recs.length} series, current settings`;
}

async function renderBacktest(api) {
  const m = await api.model();
  const rows = m.backtest?.methods ?? [];
  const cols = ["mase", "rmsse", "wape", "bias", "coverage_80", "pinball"];
  const head = $("backtest-table").querySelector("thead");
  head.innerHTML = `<tr><th>Method</th><th></th>${cols.map((c) => `<th>${c.toUpperCase().replace("_", " ")}</th>`).join("")}</tr>`;
  const best = rows.reduce((b, r) => (b === null || r.rmsse < b.rmsse ? r : b), null);
  $("backtest-table")
    .querySelector("tbody")
    .replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement("tr");
        if (r === best) tr.className = "best";
        tr.innerHTML = `<td></td><td></td>${cols.map((c) => `<td>${c === "coverage_80" || c === "wape" || c === "bias" ? pct(r[c]) : fmt(r[c], 3)}</td>`).join("")}`;
        tr.children[0].textContent = r.method;
        return tr;
      }),
    );
  const bt = m.backtest ?? {};
  $("backtest-note").textContent = bt.origins
    ? `${bt.origins} origins × horizon ${bt.horizon} (${bt.freq}), model ${m.model_version}`
    : `model ${m.model_version ?? "none"}`;
}

async function renderAccuracy(api) {
  const a = await api.accuracy();
  const rows = a.rows ?? [];
  $("accuracy-table")
    .querySelector("tbody")
    .replaceChildren(
      ...rows.slice(0, 14).map((r) => {
        const tr = document.createElement("tr");
        tr.innerHTML = `<td></td><td></td><td>${fmt(r.n)}</td><td>${pct(r.wape)}</td><td>${pct(r.bias)}</td>`;
        tr.children[0].textContent = r.date;
        tr.children[1].textContent = r.group;
        return tr;
      }),
    );
  $("accuracy-note").textContent = rows.length
    ? `served forecasts joined with actual demand`
    : "no served forecast has its actual demand yet";
}

async function selectSeries(api, warehouseId, sku) {
  $("warehouse").value = warehouseId;
  fillSelect($("sku"), skusOf(warehouseId));
  $("sku").value = sku;
  await renderSeries(api).catch(showError);
}

async function main() {
  const api = new WarecastApi(await loadConfig());
  await renderHealth(api).catch(showError);
  state.series = (await api.series()).series;
  const warehouses = [...new Set(state.series.map((s) => s.warehouse_id))].sort();
  fillSelect($("warehouse"), warehouses);
  fillSelect($("sku"), skusOf(warehouses[0]));

  $("warehouse").addEventListener("change", () => {
    fillSelect($("sku"), skusOf($("warehouse").value));
    renderSeries(api).catch(showError);
  });
  $("sku").addEventListener("change", () => renderSeries(api).catch(showError));
  $("refresh").addEventListener("click", () => {
    renderSeries(api).catch(showError);
    renderRisks(api).catch(showError);
  });

  await renderSeries(api).catch(showError);
  state.ready = true;
  await Promise.all([
    renderRisks(api).catch(showError),
    renderBacktest(api).catch(showError),
    renderAccuracy(api).catch(showError),
  ]);
  state.panelsReady = true;
}

main().catch(showError);
