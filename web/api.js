// The dashboard's only window on Warecast: the public REST API (api/openapi.yaml), with an API key.

export class ApiError extends Error {
  constructor(problem, status) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.problem = problem;
    this.status = status;
  }
}

export class WarecastApi {
  /** @param {{apiBase: string, apiKey: string}} config */
  constructor(config) {
    this.base = config.apiBase.replace(/\/$/, "");
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
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(data, res.status);
    return data;
  }

  health() {
    return this.request("GET", "/v1/health");
  }

  series() {
    return this.request("GET", "/v1/series");
  }

  forecast(warehouseId, sku, historyDays) {
    const q = new URLSearchParams({ history_days: String(historyDays) });
    return this.request(
      "GET",
      `/v1/forecasts/${encodeURIComponent(warehouseId)}/${encodeURIComponent(sku)}?${q.toString()}`,
    );
  }

  recommendations(items) {
    return this.request("POST", "/v1/recommendations", { items });
  }

  model() {
    return this.request("GET", "/v1/model");
  }

  accuracy() {
    return this.request("GET", "/v1/accuracy");
  }
}

/** Loads the page's API settings (the local server writes them; a deployment can host its own file). */
export async function loadConfig() {
  const res = await fetch("dashboard-config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`dashboard-config.json: HTTP ${res.status}`);
  return res.json();
}
