/**
 * The smoke test's API half: one call per route of api/openapi.yaml against a deployed (or local) API, each with
 * the status the route must answer. Series-specific routes use the first series the API lists; a stack whose ETL
 * has not run yet lists none, and then those routes must answer 503 (no data yet) or 404 (unknown series).
 */

/** One route checked. */
export interface RouteCheck {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly expected: readonly number[];
  readonly status: number | undefined;
  readonly ok: boolean;
  readonly ms: number;
  /** What the answer said (model version, counts, a problem's title) or why the call failed. */
  readonly detail: string;
}

export interface RouteOptions {
  /** The API's base URL, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/api (stack output apiUrl). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Per-call timeout. Default 30 s (API Gateway's own limit is 29 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

type Json = Record<string, unknown>;

interface Call {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: unknown;
  readonly expected: readonly number[];
  readonly key?: "valid" | "none";
  /** Summarises a successful answer. */
  readonly describe?: (body: Json) => string;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export async function checkRoutes(o: RouteOptions): Promise<RouteCheck[]> {
  const base = o.baseUrl.replace(/\/+$/, "");
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const results: RouteCheck[] = [];

  const call = async (c: Call): Promise<Json | undefined> => {
    const started = Date.now();
    let status: number | undefined;
    let body: Json | undefined;
    let detail: string;
    try {
      const res = await doFetch(`${base}${c.path}`, {
        method: c.method,
        headers: {
          ...(c.key === "none" ? {} : { "x-api-key": o.apiKey }),
          ...(c.body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      const text = await res.text();
      try {
        body = JSON.parse(text) as Json;
      } catch {
        body = undefined;
      }
      if (body === undefined) detail = `not JSON: ${text.slice(0, 80)}`;
      else if (c.expected.includes(status) && status < 300 && c.describe) detail = c.describe(body);
      else
        detail =
          typeof body.title === "string"
            ? `${body.title}${body.detail ? `: ${String(body.detail)}` : ""}`
            : "";
    } catch (err) {
      detail = (err as Error).message;
    }
    const ok = status !== undefined && c.expected.includes(status) && body !== undefined;
    results.push({
      name: c.name,
      method: c.method,
      path: c.path,
      expected: c.expected,
      status,
      ok,
      ms: Date.now() - started,
      detail,
    });
    return ok ? body : undefined;
  };

  await call({
    name: "health",
    method: "GET",
    path: "/v1/health",
    expected: [200],
    describe: (b) => {
      const model = (b.model ?? {}) as Json;
      return `${String(b.status)}, model ${String(model.version ?? "none")}`;
    },
  });
  // Keys are enforced by API Gateway before any handler runs.
  await call({
    name: "health without a key",
    method: "GET",
    path: "/v1/health",
    expected: [403],
    key: "none",
  });
  const listed = await call({
    name: "series",
    method: "GET",
    path: "/v1/series",
    expected: [200],
    describe: (b) => `${list(b.series).length} series`,
  });
  const first = list(listed?.series)[0] as { warehouse_id?: string; sku?: string } | undefined;
  const series =
    first?.warehouse_id && first.sku ? { warehouse_id: first.warehouse_id, sku: first.sku } : undefined;
  // Before the first ETL run there is no series to ask for: a probe series proves the routes are wired, and the
  // handler answers 503 (no series_state yet) or 404 (unknown series) without reaching the model.
  const target = series ?? { warehouse_id: "SMOKE-NO-DATA", sku: "SMOKE-NO-DATA" };
  const found = series ? [200] : [404, 503];
  const w = encodeURIComponent(target.warehouse_id);
  const k = encodeURIComponent(target.sku);
  const points = (b: Json) => {
    const one = (list(b.forecasts)[0] ?? {}) as Json;
    return `${list(one.points).length} points, model ${String(b.model_version)}`;
  };

  await call({
    name: "forecast (GET)",
    method: "GET",
    path: `/v1/forecasts/${w}/${k}?horizon=7`,
    expected: found,
    describe: points,
  });
  await call({
    name: "forecasts (POST)",
    method: "POST",
    path: "/v1/forecasts",
    body: { horizon: 7, series: [target] },
    expected: found,
    describe: points,
  });
  await call({
    name: "recommendations",
    method: "POST",
    path: "/v1/recommendations",
    body: { items: [{ ...target, lead_time_days: 5, review_period_days: 7 }] },
    expected: found,
    describe: (b) => `${list(b.recommendations).length} recommendation(s)`,
  });
  await call({
    name: "series history",
    method: "GET",
    path: `/v1/series/${w}/${k}/history`,
    expected: found,
    describe: (b) => `${list(b.days).length} days`,
  });
  await call({
    name: "model",
    method: "GET",
    path: "/v1/model",
    expected: [200],
    describe: (b) => `${String(b.model_kind)} ${String(b.model_version)}`,
  });
  await call({
    name: "accuracy",
    method: "GET",
    path: "/v1/accuracy?days=7",
    expected: [200],
    describe: (b) => `${list(b.rows).length} row(s)`,
  });
  const job = await call({
    name: "forecast job (POST)",
    method: "POST",
    path: "/v1/forecast-jobs",
    body: { series: [target], horizon: 7 },
    expected: series ? [202] : [404, 503],
    describe: (b) => `job ${String(b.job_id)} ${String(b.status)}`,
  });
  if (job && typeof job.job_id === "string") {
    await call({
      name: "forecast job (GET)",
      method: "GET",
      path: `/v1/forecast-jobs/${encodeURIComponent(job.job_id)}`,
      expected: [200],
      describe: (b) => `job ${String(b.status)}`,
    });
  }
  return results;
}
