import { WarecastApi, loadConfig } from "./api.js";
import { demandChartConfig, stockChartConfig } from "./charts.js";
import { download, forecastCsv } from "./export.js";
import { createPicker } from "./picker.js";

const HISTORY_DAYS = 120;
const HORIZON = 28;
/** The what-if inputs' defaults: also the settings of the risk table, which ranks every series alike. */
const DEFAULTS = { lead_time: "7", review_period: "7", service_level: "0.95", on_hand: "" };
const WHAT_IF = {
  lead_time: "lead-time",
  review_period: "review-period",
  service_level: "service-level",
  on_hand: "on-hand",
};
/** Data older than this many days (last event date to today) makes the health pill say so. */
const DATA_STALE_DAYS = 2;
const WHAT_IF_DELAY_MS = 250;
/** Series per POST /v1/recommendations of the risk table (the API's default limit is 100). */
const RISK_BATCH = 100;
/** Risk-table requests in flight at once (the local API and the Lambda both serve several at a time). */
const RISK_REQUESTS_IN_FLIGHT = 4;
const $ = (id) => document.getElementById(id);

// Exposed for the browser test: the charts the page drew, next to the API answers they were drawn from.
const state = {
  series: [],
  /** "warehouse/sku" → the series' row of GET /v1/series: lookups stay O(1) at 10,000 series. */
  byKey: new Map(),
  charts: {},
  forecast: null,
  history: null,
  recommendation: null,
  model: null,
  seriesModel: null,
  /** GET /v1/model's inventory-policy backtest (null when the model has none). */
  inventory: null,
  selected: null,
  dataAge: null,
  ready: false,
  panelsReady: false,
  /** Bumped by every what-if change, so an older answer arriving late is not drawn over a newer one. */
  adviceRun: 0,
  risksRun: 0,
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
  const s = state.byKey.get(`${warehouseId}/${sku}`);
  return !s || s.on_hand === null;
}

const isSelected = (warehouseId, sku) =>
  state.selected?.warehouse_id === warehouseId && state.selected?.sku === sku;

/**
 * The recommendation request for the selected series with the what-if inputs. On hand: the field when filled in,
 * else the last known from the data; without either, 0 (what to order if the shelf is empty), and the page says so.
 */
function adviceRequest({ warehouse_id: warehouseId, sku }) {
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

/** The selected series' advice took on hand as 0 (no field value, no inventory data). */
const assumedEmpty = (r) => $("on-hand").value === "" && stockUnknown(r.warehouse_id, r.sku);

const onHandSource = (r) =>
  $("on-hand").value !== "" ? "entered" : assumedEmpty(r) ? "assumed 0 (no inventory data)" : "data";

/** The newest event date over all series, and how many whole days before `now` (UTC) it is. */
function dataAge(series, now) {
  const last = series.reduce((m, s) => (s.last_date > m ? s.last_date : m), "");
  if (!last) return null;
  const days = Math.floor((now.getTime() - Date.parse(`${last}T00:00:00Z`)) / 86_400_000);
  return { last_date: last, days: Math.max(0, days) };
}

const SEVERITY = { ok: 0, degraded: 1, unavailable: 2 };

/**
 * Health from the API (model and ETL run) and from the data itself: an ETL that ran an hour ago on a feed that
 * stopped weeks ago is not healthy, so data older than DATA_STALE_DAYS degrades the pill and says by how much.
 */
function renderHealth(health, age) {
  const reasons = [];
  let status = health?.status ?? "unavailable";
  if (age && age.days > DATA_STALE_DAYS) {
    if (SEVERITY[status] < SEVERITY.degraded) status = "degraded";
    reasons.push(`newest data ${age.last_date}, ${age.days} days old`);
  }
  if (health?.data?.stale) reasons.push("last ETL run is stale");
  if (health?.model?.kind === "bootstrap-baseline") reasons.push("model is the bootstrap baseline");
  setPill("health-pill", status, status === "ok" ? "ok" : status === "degraded" ? "warn" : "bad");
  $("health-pill").title = reasons.length ? reasons.join("; ") : "model, ETL and data are current";
  setPill("model-pill", `model ${health?.model?.version ?? "unavailable"}`);
  const fresh = health?.data?.last_run_finished_at;
  setPill(
    "data-pill",
    (age ? `data to ${age.last_date} (${age.days} d old)` : "no data") +
      (fresh ? ` · ETL ${fresh.slice(0, 16).replace("T", " ")} UTC` : " · no ETL run"),
    (age && age.days > DATA_STALE_DAYS) || health?.data?.stale ? "warn" : "",
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

const METHOD_LABELS = {
  "global-gbm": "global model",
  sparse: "sparse-history fallback",
  intermittent: "intermittent-demand fallback",
  "cold-start": "cold-start fallback",
  "seasonal-naive": "seasonal naive (bootstrap model)",
};
const methodLabel = (m) => METHOD_LABELS[m] ?? m;

/** Everything about the selected series: forecast, history, advice, and its own backtest errors. */
async function renderSeries(api) {
  const sel = state.selected;
  if (!sel) return;
  const { warehouse_id: warehouseId, sku } = sel;
  clearError();
  document.body.classList.add("loading");
  try {
    const [fc, hist] = await Promise.all([
      api.forecast(warehouseId, sku, HORIZON),
      api.history(warehouseId, sku, HISTORY_DAYS),
      renderSeriesBacktest(api, warehouseId, sku),
    ]);
    if (!isSelected(warehouseId, sku)) return; // another series was picked meanwhile
    const series = fc.forecasts[0];
    state.forecast = series;
    state.modelVersion = fc.model_version;
    state.history = hist;

    $("series-title").textContent = `${sku} · ${warehouseId}`;
    $("series-method").textContent =
      `${methodLabel(series.method)} · data to ${series.last_data_date} · ${HORIZON}-day forecast`;
    draw("demand", "demand-chart", demandChartConfig(hist.days, series.points));

    const stockouts = hist.days.filter((d) => d.stockout).length;
    const closed = hist.days.filter((d) => d.closed).length;
    const promos = hist.days.filter((d) => d.promo).length;
    $("series-facts").textContent =
      `Last ${hist.days.length} days: ${stockouts} stockout, ${promos} promo, ${closed} closed day(s). ` +
      `Next ${HORIZON} days: ${fmt(series.points.reduce((s, p) => s + p.mean, 0))} units expected.`;
    await renderAdvice(api);
  } finally {
    document.body.classList.remove("loading");
  }
}

/** The advice for the selected series with the what-if inputs: KPIs and the projected stock chart. */
async function renderAdvice(api) {
  const run = ++state.adviceRun;
  const sel = state.selected;
  if (!sel || !state.forecast) return;
  // An empty or out-of-range box would otherwise be sent as 0 or refused by the API: say which, ask nothing.
  const bad = Object.values(WHAT_IF)
    .map($)
    .find((el) => !el.checkValidity());
  if (bad) {
    const label = bad.closest("label")?.firstChild?.textContent.trim() ?? bad.id;
    showError(`${label}: ${bad.validationMessage}`);
    state.recommendation = null;
    return;
  }
  const recs = await api.recommendations([adviceRequest(sel)]);
  if (run !== state.adviceRun) return; // a newer what-if is on its way
  const rec = recs.recommendations[0];
  state.recommendation = rec;
  draw("stock", "stock-chart", stockChartConfig(state.forecast.points, rec));
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
  state.adviceShown = run;
}

/** The selected series' own backtest errors, beside the pooled table. */
async function renderSeriesBacktest(api, warehouseId, sku) {
  const body = $("series-backtest-table").querySelector("tbody");
  let info;
  try {
    info = await api.seriesModel(warehouseId, sku);
  } catch (err) {
    info = { backtest_detail: err instanceof Error ? err.message : String(err) };
  }
  if (!isSelected(warehouseId, sku)) return;
  state.seriesModel = info;
  renderInventorySeries(info, warehouseId, sku);
  $("series-backtest-title").textContent = `This series: ${sku} · ${warehouseId}`;
  $("series-backtest-note").textContent = info.method
    ? `forecast by the ${methodLabel(info.method)} in the backtest`
    : "";
  if (!info.scores) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td colspan="5" class="empty"></td>`;
    tr.firstChild.textContent = `No per-series backtest: ${info.backtest_detail ?? "none"}.`;
    body.replaceChildren(tr);
    return;
  }
  const best = info.scores.reduce(
    (b, r) => (r.rmsse !== null && (b === null || r.rmsse < b.rmsse) ? r : b),
    null,
  );
  body.replaceChildren(
    ...info.scores.map((r) => {
      const tr = document.createElement("tr");
      if (r === best) tr.className = "best";
      if (r.method === "model") tr.classList.add("ours");
      tr.innerHTML = `<td></td><td>${fmt(r.mase, 3)}</td><td>${fmt(r.rmsse, 3)}</td><td>${pct(r.wape)}</td><td>${pct(r.bias)}</td>`;
      tr.children[0].textContent = METHOD_NAMES[r.method] ?? r.method;
      tr.title = `${r.points} days scored`;
      return tr;
    }),
  );
}

const POLICY_NAMES = {
  model: "Reorder advice (model)",
  seasonal_naive: "Seasonal naive, same rule",
  weeks_of_cover: "Weeks of cover",
};
const policyName = (p) => POLICY_NAMES[p] ?? p;

const INVENTORY_HEAD =
  '<tr><th>Policy</th><th>Fill rate</th><th class="primary">Cycle SL</th><th>Avg on hand</th><th>Stockout days</th></tr>';

/** One inventory-replay table: a row per policy, the advice's row marked; or why there is none. */
function fillInventoryTable(id, inventory, detail) {
  $(id).querySelector("thead").innerHTML = INVENTORY_HEAD;
  const body = $(id).querySelector("tbody");
  if (!inventory) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td colspan="5" class="empty"></td>`;
    tr.firstChild.textContent = `No inventory backtest: ${detail ?? "none"}.`;
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(
    ...inventory.policies.map((r) => {
      const tr = document.createElement("tr");
      if (r.policy === "model") tr.classList.add("ours");
      tr.innerHTML = `<td></td><td>${pct(r.fill_rate)}</td><td>${pct(r.cycle_service_level)}</td><td>${fmt(r.avg_on_hand)}</td><td>${fmt(r.stockout_days)}</td>`;
      tr.children[0].textContent = policyName(r.policy);
      tr.title = `${fmt(r.orders)} orders, ${fmt(r.units_days)} unit-days on hand`;
      return tr;
    }),
  );
}

const replaySettings = (s) =>
  `${s.first_day} to ${s.last_day} · ${s.lead_time_days} d lead, ${s.review_period_days} d review, target ${pct(s.service_level, 0)} cycle service`;

/** The pooled replay: each policy at the target, the stock each needs for the same achieved service, the goals. */
function renderInventoryPooled(m) {
  const inv = m.inventory;
  state.inventory = inv ?? null;
  fillInventoryTable("inventory-pooled-table", inv, m.inventory_detail);
  $("inventory-policy-card").hidden = false;
  $("inventory-pooled-note").textContent = inv ? replaySettings(inv.settings) : "";
  const target = inv?.settings.service_level;
  const row = inv?.matched?.find((r) => r.metric === "cycle_service_level" && r.service === target);
  const ours = row?.avg_on_hand.model;
  $("inventory-matched").textContent =
    row && ours !== null && ours !== undefined
      ? `For the same achieved ${pct(target, 0)} cycle service level, the advice holds ${fmt(ours)} units on average; ` +
        Object.entries(row.avg_on_hand)
          .filter(([p]) => p !== "model")
          .map(([p, v]) =>
            v === null
              ? `${policyName(p)} does not reach it`
              : `${policyName(p)} ${fmt(v)} (${v >= ours ? "+" : "−"}${fmt(Math.abs(v / ours - 1) * 100, 0)} %)`,
          )
          .join("; ") +
        "."
      : "";
  const verdict = (g) => (g.met === true ? "met" : g.met === false ? "not met" : "undecided");
  $("inventory-goal").textContent = inv
    ? `Goal at the same target: ${verdict(inv.goal)}` +
      (inv.matched_goal ? `; at matched service: ${verdict(inv.matched_goal)}` : "") +
      ` (docs/replenishment.md).`
    : "";
}

/** The selected series' own replay, beside the pooled one. */
function renderInventorySeries(info, warehouseId, sku) {
  $("inventory-series-title").textContent = `This series: ${sku} · ${warehouseId}`;
  fillInventoryTable("inventory-series-table", info.inventory, info.inventory_detail);
  $("inventory-series-note").textContent = info.inventory ? replaySettings(info.inventory.settings) : "";
}

const riskClass = (r) => (r >= 0.5 ? "risk-high" : r >= 0.2 ? "risk-mid" : "risk-low");

/** A risk-table row computed from on hand 0: the data has no inventory snapshot for the series. */
const noStockData = (r) => stockUnknown(r.warehouse_id, r.sku);

/**
 * Ranks the series of the warehouse in scope (the Warehouse box; all of them for "All warehouses") by stockout
 * risk. Scoping keeps a 10,000-series catalogue to one warehouse's requests unless the planner asks for all.
 */
async function renderRisks(api, batch) {
  const run = ++state.risksRun;
  const scope = $("warehouse").value;
  const inScope = scope ? state.series.filter((s) => s.warehouse_id === scope) : state.series;
  // Every series at the standard settings: the ranking does not move with one series' what-if.
  const items = inScope.map((s) => ({
    warehouse_id: s.warehouse_id,
    sku: s.sku,
    lead_time_days: Number(DEFAULTS.lead_time),
    review_period_days: Number(DEFAULTS.review_period),
    service_level: Number(DEFAULTS.service_level),
    ...(s.on_hand === null ? { on_hand: 0 } : {}),
  }));
  const pages = [];
  for (let i = 0; i < items.length; i += batch) pages.push(items.slice(i, i + batch));
  // A few requests in flight: a 10,000-series catalogue is 100 of them, and one at a time leaves the API's
  // concurrency (and the browser's six connections) unused.
  const answers = new Array(pages.length);
  let next = 0;
  const worker = async () => {
    while (next < pages.length && run === state.risksRun) {
      const k = next++;
      answers[k] = (await api.recommendations(pages[k])).recommendations;
    }
  };
  await Promise.all(Array.from({ length: Math.min(RISK_REQUESTS_IN_FLIGHT, pages.length) }, worker));
  if (run !== state.risksRun) return; // the scope changed meanwhile
  const recs = answers.flat();
  // Series with inventory data first, by risk; those without (on hand taken as 0) by the order they need.
  recs.sort(
    (a, b) =>
      noStockData(a) - noStockData(b) ||
      b.stockout_risk_without_order - a.stockout_risk_without_order ||
      a.days_of_cover - b.days_of_cover ||
      b.suggested_order_quantity - a.suggested_order_quantity,
  );
  state.risks = recs;
  drawRisks();
}

function drawRisks() {
  const recs = state.risks ?? [];
  const body = $("risk-table").querySelector("tbody");
  body.replaceChildren(
    ...recs.slice(0, 10).map((r) => {
      const tr = document.createElement("tr");
      const risk = noStockData(r)
        ? `<span class="badge unknown" title="No inventory data: on hand taken as 0">no stock data</span>`
        : `<span class="badge ${riskClass(r.stockout_risk_without_order)}">${pct(r.stockout_risk_without_order, 0)}</span>`;
      const cover = noStockData(r) ? "–" : `${fmt(r.days_of_cover, 1)}${r.days_of_cover_capped ? "+" : ""}`;
      tr.innerHTML = `<td></td><td></td><td>${risk}</td><td>${cover}</td><td>${fmt(r.suggested_order_quantity)}</td>`;
      tr.children[0].textContent = r.sku;
      tr.children[1].textContent = r.warehouse_id;
      tr.tabIndex = 0;
      tr.title = "Show this series";
      if (isSelected(r.warehouse_id, r.sku)) tr.className = "selected";
      const show = () => {
        window.scrollTo({ top: 0, behavior: "smooth" });
        choose(r.warehouse_id, r.sku, "push");
      };
      tr.addEventListener("click", show);
      tr.addEventListener("keydown", (e) => e.key === "Enter" && show());
      return tr;
    }),
  );
  const unknown = recs.filter(noStockData).length;
  const settings = `${DEFAULTS.lead_time} d lead, ${DEFAULTS.review_period} d review, ${pct(DEFAULTS.service_level, 0)}`;
  const scope = $("warehouse").value;
  $("risk-title").textContent = `Top stockout risks${scope ? ` in ${scope}` : ""}`;
  $("risk-note").textContent =
    (unknown === 0
      ? `${recs.length} series, risk before ordering`
      : `${recs.length} series; ${unknown} without inventory data, ranked by the order they need from empty`) +
    ` · standard settings (${settings}); the what-if changes only the selected series`;
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
  renderInventoryPooled(m);
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

/** The page's state as a shareable query: ?warehouse=…&sku=… plus any what-if input that is not its default. */
function stateQuery() {
  const q = new URLSearchParams();
  if (state.selected) {
    q.set("warehouse", state.selected.warehouse_id);
    q.set("sku", state.selected.sku);
  }
  for (const [name, id] of Object.entries(WHAT_IF)) {
    const v = $(id).value;
    if (v !== DEFAULTS[name]) q.set(name, v);
  }
  return `?${q}`;
}

/** Records the state in the address bar: "push" for a new series (back returns), "replace" for input edits. */
function writeUrl(mode) {
  const url = `${location.pathname}${stateQuery()}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (mode === "push") history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

/** Sets the what-if inputs from the address bar (missing ones to their defaults) and returns the series named. */
function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const [name, id] of Object.entries(WHAT_IF)) $(id).value = q.get(name) ?? DEFAULTS[name];
  // A select keeps its old value when given one it has no option for.
  if ($("service-level").value !== (q.get("service_level") ?? DEFAULTS.service_level))
    $("service-level").value = DEFAULTS.service_level;
  return { warehouse_id: q.get("warehouse"), sku: q.get("sku") };
}

let api;
let picker;

/** Shows a series; `mode` says how the address bar records it (null: it came from the address bar). */
function choose(warehouseId, sku, mode) {
  const s = state.byKey.get(`${warehouseId}/${sku}`);
  if (!s) {
    showError(
      `No series ${sku} in warehouse ${warehouseId}: the link names a series the data does not have.`,
    );
    return false;
  }
  state.selected = s;
  picker.set(s);
  if ($("warehouse").value && $("warehouse").value !== warehouseId) {
    $("warehouse").value = warehouseId;
    renderRisks(api, RISK_BATCH).catch(showError);
  } else drawRisks();
  if (mode) writeUrl(mode);
  renderSeries(api).catch(showError);
  return true;
}

/** Applies the address bar: on load and on back/forward. Falls back to the first series when it names none. */
function applyUrl() {
  const want = readUrl();
  if (want.warehouse_id && want.sku && choose(want.warehouse_id, want.sku, null)) return;
  if (want.warehouse_id && want.sku) {
    // Keep the error on screen: choose() clears it when the fallback renders.
    const first = state.series[0];
    state.selected = first;
    picker.set(first);
    writeUrl("replace");
    drawRisks();
    renderSeries(api)
      .then(() => showError(`No series ${want.sku} in warehouse ${want.warehouse_id}; showing ${first.sku}.`))
      .catch(showError);
    return;
  }
  choose(state.series[0].warehouse_id, state.series[0].sku, "replace");
}

let whatIfTimer;
/** A what-if input changed: record it, and redraw the advice once typing pauses. */
function whatIfChanged() {
  writeUrl("replace");
  clearTimeout(whatIfTimer);
  whatIfTimer = setTimeout(() => {
    clearError();
    renderAdvice(api).catch(showError);
  }, WHAT_IF_DELAY_MS);
}

function exportCsv() {
  const fc = state.forecast;
  const rec = state.recommendation;
  if (!fc || !rec)
    return showError("Nothing to export: no advice is shown (still loading, or a what-if box is invalid).");
  const text = forecastCsv(fc, state.modelVersion, rec, onHandSource(rec));
  state.exported = text;
  download(`warecast-${fc.warehouse_id}-${fc.sku}-${fc.points[0]?.date ?? "forecast"}.csv`, text);
}

async function main() {
  api = new WarecastApi(await loadConfig());
  const [health, list] = await Promise.all([
    api.health().catch((err) => (showError(err), null)),
    api.series(),
  ]);
  state.series = list.series;
  state.byKey = new Map(state.series.map((s) => [`${s.warehouse_id}/${s.sku}`, s]));
  state.dataAge = dataAge(state.series, new Date());
  renderHealth(health, state.dataAge);
  if (state.series.length === 0) {
    showError("No series yet: run `warecast etl` (or `warecast demo`) to load data.");
    return;
  }
  const warehouses = [...new Set(state.series.map((s) => s.warehouse_id))].sort();
  fillSelect($("warehouse"), ["", ...warehouses], (w) => (w === "" ? "All warehouses" : w));
  $("series-count").textContent = `${state.series.length} series · ${warehouses.length} warehouse(s)`;

  picker = createPicker({
    input: $("series-search"),
    list: $("series-options"),
    // Every warehouse: a planner looking for a SKU should not have to know where it is stocked first.
    options: () => ({ series: state.series, warehouse: "" }),
    onPick: (s) => choose(s.warehouse_id, s.sku, "push"),
  });
  $("warehouse").addEventListener("change", () => {
    const w = $("warehouse").value;
    renderRisks(api, RISK_BATCH).catch(showError);
    if (!w || state.selected?.warehouse_id === w) return;
    const first = state.series.find((s) => s.warehouse_id === w);
    choose(first.warehouse_id, first.sku, "push");
  });
  for (const id of Object.values(WHAT_IF)) {
    $(id).addEventListener("input", whatIfChanged);
    $(id).addEventListener("change", whatIfChanged);
  }
  $("reset-what-if").addEventListener("click", () => {
    for (const [name, id] of Object.entries(WHAT_IF)) $(id).value = DEFAULTS[name];
    whatIfChanged();
  });
  $("export-csv").addEventListener("click", exportCsv);
  window.addEventListener("popstate", applyUrl);

  applyUrl();
  // The scope starts at the shown series' warehouse ("All warehouses" is one choice away).
  $("warehouse").value = state.selected.warehouse_id;
  state.ready = true;
  await Promise.all([
    renderRisks(api, RISK_BATCH).catch(showError),
    renderBacktest(api).catch(showError),
    renderAccuracy(api).catch(showError),
  ]);
  state.panelsReady = true;
}

main().catch(showError);
