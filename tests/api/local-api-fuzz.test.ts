/**
 * Property-based fuzz of the local API (the same handler as the Lambda, behind the local HTTP server): 1,200
 * generated requests, valid and invalid, over every route. No 5xx; every response is one the spec declares;
 * every valid request is answered 2xx.
 */
import * as fc from "fast-check";
import { startLocalApi, type LocalApi } from "../../cli/local-api/server";
import { MemoryServedForecastLog } from "../../functions/predict/served-log";
import { responseErrors } from "./conformance";
import { FakeEndpoint, makeTestDeps, quietObservability } from "../functions/predict-support";
import { addDays } from "../../functions/predict/forecast-service";

const RUNS = 1200;

interface Req {
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  key: boolean;
  valid: boolean;
}

/** Series in the fixture and their last data date. */
const KNOWN = [
  { warehouse_id: "WH1", sku: "SKU-1", end: "2018-04-30", onHand: true },
  { warehouse_id: "WH1", sku: "SKU-2", end: "2018-04-30", onHand: true },
  { warehouse_id: "WH1", sku: "SKU-3", end: "2018-04-22", onHand: false },
  { warehouse_id: "WH2", sku: "SKU-1", end: "2018-04-30", onHand: true },
];

// "." and ".." are legal ids but URL clients normalise them away as path segments.
const id = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((s) => s !== "." && s !== "..");
const level = fc.integer({ min: 1, max: 999 }).map((n) => n / 1000);
const quantiles = fc.uniqueArray(level, { minLength: 1, maxLength: 19 });
const horizon = fc.integer({ min: 1, max: 90 });
const known = fc.constantFrom(...KNOWN);
const junk = fc.oneof(
  fc.json().map((j) => JSON.parse(j) as unknown),
  fc.anything(),
);

const validForecast = fc
  .record({
    h: fc.option(horizon, { nil: undefined }),
    q: fc.option(quantiles, { nil: undefined }),
    series: fc.array(
      fc.record({
        s: known,
        future: fc.array(
          fc.record({
            step: fc.nat(),
            promo: fc.option(fc.boolean(), { nil: undefined }),
            price: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }),
          }),
          { maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ h, q, series }): Req => {
    const H = h ?? 28;
    return {
      method: "POST",
      path: "/v1/forecasts",
      key: true,
      valid: true,
      body: {
        ...(h !== undefined ? { horizon: h } : {}),
        ...(q !== undefined ? { quantiles: q } : {}),
        series: series.map(({ s, future }) => {
          const steps = [...new Set(future.map((f) => (f.step % H) + 1))];
          return {
            warehouse_id: s.warehouse_id,
            sku: s.sku,
            ...(steps.length > 0
              ? {
                  future: steps.map((step, i) => ({
                    date: addDays(s.end, step),
                    ...(future[i].promo !== undefined ? { promo: future[i].promo } : {}),
                    ...(future[i].price !== undefined ? { price: future[i].price } : {}),
                  })),
                }
              : {}),
          };
        }),
      },
    };
  });

const validGet = fc
  .record({
    s: known,
    h: fc.option(horizon, { nil: undefined }),
    q: fc.option(quantiles, { nil: undefined }),
  })
  .map(({ s, h, q }): Req => {
    const params = new URLSearchParams();
    if (h !== undefined) params.set("horizon", String(h));
    if (q !== undefined) params.set("quantiles", q.join(","));
    const qs = params.toString();
    return {
      method: "GET",
      path: `/v1/forecasts/${s.warehouse_id}/${s.sku}${qs ? `?${qs}` : ""}`,
      key: true,
      valid: true,
    };
  });

const validRecommendation = fc
  .array(
    fc.record({
      s: known,
      lead: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      review: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
      sl: fc.option(
        fc.integer({ min: 500, max: 999 }).map((n) => n / 1000),
        { nil: undefined },
      ),
      onHand: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      onOrder: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      moq: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      pack: fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((items): Req => ({
    method: "POST",
    path: "/v1/recommendations",
    key: true,
    valid: true,
    body: {
      items: items.map((it) => {
        const onHand = it.onHand ?? (it.s.onHand ? undefined : 5);
        const fields: Record<string, unknown> = { warehouse_id: it.s.warehouse_id, sku: it.s.sku };
        const set = (k: string, v: unknown) => v !== undefined && (fields[k] = v);
        set("lead_time_days", it.lead);
        set("review_period_days", it.review);
        set("service_level", it.sl);
        set("on_hand", onHand);
        set("on_order", it.onOrder);
        set("moq", it.moq);
        set("pack_size", it.pack);
        return fields;
      }),
    },
  }));

const validJob = fc.oneof(
  fc.subarray(["WH1", "WH2"], { minLength: 1 }).map((w): Req => ({
    method: "POST",
    path: "/v1/forecast-jobs",
    key: true,
    valid: true,
    body: { warehouse_ids: w, horizon: 7 },
  })),
  fc.array(known, { minLength: 1, maxLength: 4 }).map((s): Req => ({
    method: "POST",
    path: "/v1/forecast-jobs",
    key: true,
    valid: true,
    body: { series: s.map(({ warehouse_id, sku }) => ({ warehouse_id, sku })) },
  })),
);

const health = fc.constant<Req>({ method: "GET", path: "/v1/health", key: true, valid: true });

/** The dashboard's reads: series list, history, model (pooled and per series), accuracy. */
const validRead = fc
  .oneof(
    fc.constantFrom(
      "/v1/series",
      "/v1/series?warehouse_id=WH2",
      "/v1/model",
      "/v1/accuracy",
      "/v1/accuracy?days=3",
    ),
    fc
      .tuple(known, fc.option(fc.integer({ min: 1, max: 3660 }), { nil: undefined }))
      .map(([s, d]) => `/v1/series/${s.warehouse_id}/${s.sku}/history${d === undefined ? "" : `?days=${d}`}`),
    known.map((s) => `/v1/model/series/${s.warehouse_id}/${s.sku}`),
  )
  .map((path): Req => ({ method: "GET", path, key: true, valid: true }));

const invalid = fc.oneof(
  fc
    .record({
      method: fc.constantFrom("POST"),
      path: fc.constantFrom("/v1/forecasts", "/v1/recommendations", "/v1/forecast-jobs"),
      body: junk,
    })
    .map((r): Req => ({ ...r, key: true, valid: false })),
  fc
    .record({
      path: fc.constantFrom("/v1/forecasts", "/v1/recommendations", "/v1/forecast-jobs"),
      rawBody: fc.string(),
    })
    .map((r): Req => ({ method: "POST", ...r, key: true, valid: false })),
  fc.tuple(id, id, fc.string(), fc.string()).map(([w, s, k, v]): Req => ({
    method: "GET",
    path: `/v1/forecasts/${w}/${s}?${new URLSearchParams({ [k]: v })}`,
    key: true,
    valid: false,
  })),
  fc.string().map((j): Req => ({
    method: "GET",
    path: `/v1/forecast-jobs/${encodeURIComponent(j || "x")}`,
    key: true,
    valid: false,
  })),
  fc
    .record({
      series: fc.array(fc.record({ warehouse_id: id, sku: id }), { minLength: 1, maxLength: 5 }),
      horizon: fc.integer({ min: -5, max: 400 }),
      quantiles: fc.array(fc.double(), { maxLength: 4 }),
    })
    .map((b): Req => ({ method: "POST", path: "/v1/forecasts", body: b, key: true, valid: false })),
  fc
    .record({
      items: fc.array(
        fc.record({
          warehouse_id: id,
          sku: id,
          lead_time_days: fc.integer({ min: -1, max: 200 }),
          service_level: fc.double(),
        }),
        { minLength: 1, maxLength: 5 },
      ),
    })
    .map((b): Req => ({ method: "POST", path: "/v1/recommendations", body: b, key: true, valid: false })),
  fc.array(known, { minLength: 4, maxLength: 8 }).map((s): Req => ({
    method: "POST",
    path: "/v1/forecasts",
    body: { series: s.map(({ warehouse_id, sku }) => ({ warehouse_id, sku })) },
    key: true,
    valid: false,
  })),
  fc.tuple(id, id, fc.string(), fc.string()).map(([w, s, k, v]): Req => ({
    method: "GET",
    path: `/v1/series/${w}/${s}/history?${new URLSearchParams({ [k]: v })}`,
    key: true,
    valid: false,
  })),
  fc
    .tuple(fc.constantFrom("/v1/series", "/v1/accuracy"), fc.string(), fc.string())
    .map(([path, k, v]): Req => ({
      method: "GET",
      path: `${path}?${new URLSearchParams({ [k]: v })}`,
      key: true,
      valid: false,
    })),
  fc
    .tuple(fc.constantFrom("/v1/health", "/v1/forecasts/WH1/SKU-1", "/v1/series", "/v1/model"), fc.boolean())
    .map(([path]): Req => ({ method: "GET", path, key: false, valid: false })),
);

const request = fc.oneof(
  { arbitrary: validForecast, weight: 3 },
  { arbitrary: validGet, weight: 2 },
  { arbitrary: validRecommendation, weight: 3 },
  { arbitrary: validJob, weight: 1 },
  { arbitrary: health, weight: 1 },
  { arbitrary: validRead, weight: 2 },
  { arbitrary: invalid, weight: 6 },
);

let api: LocalApi;

beforeAll(async () => {
  const { workspace } = makeTestDeps();
  api = await startLocalApi({
    workspace,
    port: 0,
    endpoint: new FakeEndpoint(),
    servedLog: new MemoryServedForecastLog(),
    config: { maxSeriesPerRequest: 3 },
    obs: quietObservability(),
  });
}, 120_000);

afterAll(async () => {
  await api.jobsIdle();
  await api.close();
});

it(`answers ${RUNS} generated requests: no 5xx, all per spec, valid ones 2xx`, async () => {
  const seen = { total: 0, valid: 0, byStatus: new Map<number, number>() };
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const res = await fetch(api.url + r.path, {
        method: r.method,
        headers: { ...(r.key ? { "x-api-key": api.apiKey } : {}), "content-type": "application/json" },
        body: r.method === "POST" ? (r.rawBody ?? JSON.stringify(r.body ?? null)) : undefined,
      });
      const text = await res.text();
      seen.total++;
      seen.byStatus.set(res.status, (seen.byStatus.get(res.status) ?? 0) + 1);
      const path = new URL(api.url + r.path).pathname;
      const errors = responseErrors(api.deps.schemas, r.method, path, {
        statusCode: res.status,
        body: text,
        headers: Object.fromEntries(res.headers),
      });
      if (errors.length > 0)
        throw new Error(`${r.method} ${r.path} → ${res.status}: ${errors.join("; ")}\n${text}`);
      if (res.status >= 500) throw new Error(`${r.method} ${r.path} → ${res.status}: ${text}`);
      if (r.valid) {
        seen.valid++;
        if (res.status < 200 || res.status > 299)
          throw new Error(`valid ${r.method} ${r.path} ${JSON.stringify(r.body)} → ${res.status}: ${text}`);
      }
      if (!r.key && res.status !== 403) throw new Error(`no key but ${res.status}`);
    }),
    { numRuns: RUNS, seed: 20261128, endOnFailure: true },
  );
  expect(seen.total).toBeGreaterThanOrEqual(1000);
  expect(seen.valid).toBeGreaterThan(300);
  // Both kinds of outcome occurred: the generator is not trivially all-valid or all-invalid.
  expect([...seen.byStatus.keys()].some((s) => s >= 400)).toBe(true);
}, 600_000);
