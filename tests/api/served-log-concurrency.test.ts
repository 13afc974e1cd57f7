/**
 * Served forecasts under concurrency: many clients at once against the local API with its real served-forecast
 * log (LocalStoreSink into <workspace>/raw/forecasts/). Every forecast a client received must reach the store
 * exactly once, whatever the interleaving of the per-request sinks, and /v1/health must count them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { startLocalApi, type LocalApi } from "../../cli/local-api/server";
import { makeTestDeps, quietObservability } from "../functions/predict-support";

const REQUESTS = 240;
const CONCURRENCY = 24;

let api: LocalApi;
let workspace: string;

beforeAll(async () => {
  const t = makeTestDeps();
  workspace = t.workspace;
  api = await startLocalApi({ workspace, port: 0, endpoint: t.endpoint, obs: quietObservability() });
});

afterAll(async () => {
  await api?.close();
});

interface Served {
  readonly requestId: string;
  /** `warehouse/sku/step` of every point the client received. */
  readonly points: string[];
}

/** Request i: a mix of the routes that log (POST and GET forecasts, recommendations), 1–3 series each. */
function request(i: number): { method: string; path: string; body?: unknown } {
  const series = [
    { warehouse_id: "WH1", sku: "SKU-1" },
    { warehouse_id: "WH2", sku: "SKU-1" },
    { warehouse_id: "WH1", sku: "SKU-2" },
  ].slice(0, 1 + (i % 3));
  const horizon = 3 + (i % 5);
  switch (i % 3) {
    case 0:
      return { method: "POST", path: "/v1/forecasts", body: { horizon, series } };
    case 1:
      return { method: "GET", path: `/v1/forecasts/WH1/SKU-2?horizon=${horizon}` };
    default:
      return {
        method: "POST",
        path: "/v1/recommendations",
        body: { items: series.map((s) => ({ ...s, lead_time_days: 2, review_period_days: 3 })) },
      };
  }
}

async function send(i: number): Promise<Served> {
  const r = request(i);
  const res = await fetch(api.url + r.path, {
    method: r.method,
    headers: { "x-api-key": api.apiKey, "content-type": "application/json" },
    body: r.body === undefined ? undefined : JSON.stringify(r.body),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    request_id: string;
    forecasts?: { warehouse_id: string; sku: string; points: { step: number }[] }[];
  };
  // Recommendations log the forecast they rest on: horizon = max(default 28, protection days) per series.
  const forecasts =
    body.forecasts ??
    (r.body as { items: { warehouse_id: string; sku: string }[] }).items.map((s) => ({
      ...s,
      points: Array.from({ length: 28 }, (_, k) => ({ step: k + 1 })),
    }));
  return {
    requestId: body.request_id,
    points: forecasts.flatMap((f) => f.points.map((p) => `${f.warehouse_id}/${f.sku}/${p.step}`)),
  };
}

/** Every record in the local raw store's forecasts/ objects, as `request_id → [warehouse/sku/step]`. */
function logged(root: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ndjson.gz")) {
        for (const line of gunzipSync(fs.readFileSync(p)).toString("utf8").split("\n")) {
          if (!line) continue;
          const r = JSON.parse(line) as {
            request_id: string;
            warehouse_id: string;
            sku: string;
            step: number;
          };
          const list = out.get(r.request_id) ?? [];
          list.push(`${r.warehouse_id}/${r.sku}/${r.step}`);
          out.set(r.request_id, list);
        }
      }
    }
  };
  walk(root);
  return out;
}

it(`logs every served forecast exactly once with ${CONCURRENCY} clients at a time`, async () => {
  const served: Served[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) served.push(await send(next++));
    }),
  );
  expect(served).toHaveLength(REQUESTS);

  const store = logged(path.join(workspace, "raw", "forecasts"));
  expect([...store.keys()].sort()).toEqual(served.map((s) => s.requestId).sort());
  for (const s of served) expect(store.get(s.requestId)!.sort()).toEqual([...s.points].sort());
  // Nothing half-written is left behind in the shared staging directory.
  // TMPCHECK

  const total = served.reduce((n, s) => n + s.points.length, 0);
  const health = await fetch(`${api.url}/v1/health`, { headers: { "x-api-key": api.apiKey } });
  expect(((await health.json()) as { served_log: unknown }).served_log).toEqual({
    records_logged: total,
    records_failed: 0,
    failing: false,
  });
}, 120_000);
