// The dashboard's only window on Warecast: the public REST API (api/openapi.yaml), with an API key.

export class ApiError extends Error {
  constructor(problem, status) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.problem = problem;
    this.status = status;
  }
}

const seg = (s) => encodeURIComponent(s);

export class WarecastApi {
  /** @param {{apiBase: string, apiKey: string}} config */
  constructor(config) {
    this.base = (config.apiBase ?? "").replace(/\/$/, "");
    this.key = config.apiKey;
  }

  async request(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        "x-api-key": this.key,
        accept: "application/json",
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { detail: text.slice(0, 200) };
    }
    if (!res.ok) throw new ApiError(data, res.status);
    return data;
  }

  /** GET /v1/health → {status, model: {version, kind}, data: {last_run_finished_at, stale}} */
  health() {
    return this.request("GET", "/v1/health");
  }

  /** GET /v1/series → {series: [{warehouse_id, sku, first_date, last_date, on_hand}]} */
  series() {
    return this.request("GET", "/v1/series");
  }

  /** GET /v1/series/{w}/{s}/history → {last_date, on_hand, days: [{date, units, stockout, closed, promo, price}]} */
  history(warehouseId, sku, days) {
    return this.request("GET", `/v1/series/${seg(warehouseId)}/${seg(sku)}/history?days=${days}`);
  }

  /** GET /v1/forecasts/{w}/{s} → {model_version, forecasts: [{method, points: [{date, step, mean, quantiles}]}]} */
  forecast(warehouseId, sku, horizon) {
    return this.request("GET", `/v1/forecasts/${seg(warehouseId)}/${seg(sku)}?horizon=${horizon}`);
  }

  /** POST /v1/recommendations → {recommendations: [...]}, one per item in order. */
  recommendations(items) {
    return this.request("POST", "/v1/recommendations", { items });
  }

  /** GET /v1/model → {model_version, model_kind, backtest?: {methods: [...]}, backtest_detail?} */
  model() {
    return this.request("GET", "/v1/model");
  }

  /** GET /v1/model/series/{w}/{s} → {model_version, method?, scores?: [{method, mase, rmsse, wape, bias, points}]} */
  seriesModel(warehouseId, sku) {
    return this.request("GET", `/v1/model/series/${seg(warehouseId)}/${seg(sku)}`);
  }

  /** GET /v1/accuracy → {rows: [{date, group, n, wape, bias, ...}]} */
  accuracy() {
    return this.request("GET", "/v1/accuracy");
  }
}

/** Loads the page's API settings (the local server writes them; a deployment can host its own file). */
export async function loadConfig() {
  const res = await fetch("dashboard-config.json", { cache: "no-store" });
  if (res.status === 403)
    throw new Error("Not logged in: open the login link that `warecast serve` printed, or log in at /login.");
  if (!res.ok) throw new Error(`dashboard-config.json: HTTP ${res.status}`);
  return res.json();
}
