/**
 * The local API against the forecasting engineer's real local endpoint (model/local_endpoint.py serving the
 * bootstrap baseline) through the SageMaker Runtime SDK: what `warecast serve` runs. Every response is checked
 * against the spec; this is where the API's endpoint requests meet the real inference handler.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  artifactToServe,
  startEndpointProcess,
  type EndpointProcess,
} from "../../cli/local-api/endpoint-process";
import { startLocalApi, type LocalApi } from "../../cli/local-api/server";
import { responseErrors } from "./conformance";
import { makeTestDeps, quietObservability } from "../functions/predict-support";

let endpoint: EndpointProcess;
let api: LocalApi;
let workspace: string;

beforeAll(async () => {
  ({ workspace } = makeTestDeps());
  const { artifact, bootstrap } = await artifactToServe(workspace);
  expect(bootstrap).toBe(true);
  endpoint = await startEndpointProcess(artifact, 0);
  api = await startLocalApi({ workspace, port: 0, endpointUrl: endpoint.url, obs: quietObservability() });
}, 240_000);

afterAll(async () => {
  await api?.close();
  await endpoint?.stop();
});

async function call(method: string, p: string, body?: unknown) {
  const res = await fetch(api.url + p, {
    method,
    headers: { "x-api-key": api.apiKey, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const errors = responseErrors(api.deps.schemas, method, new URL(api.url + p).pathname, {
    statusCode: res.status,
    body: text,
    headers: Object.fromEntries(res.headers),
  });
  expect(errors).toEqual([]);
  return { status: res.status, body: JSON.parse(text) };
}

it("reports the bootstrap model in health", async () => {
  const res = await call("GET", "/v1/health");
  expect(res.body.model).toMatchObject({
    available: true,
    kind: "bootstrap-baseline",
    version: endpoint.modelVersion,
  });
  expect(res.body.status).toBe("degraded");
});

it("forecasts with a what-if and custom quantiles through the real inference handler", async () => {
  const res = await call("POST", "/v1/forecasts", {
    horizon: 14,
    quantiles: [0.05, 0.5, 0.95],
    series: [
      { warehouse_id: "WH1", sku: "SKU-1", future: [{ date: "2018-05-02", promo: true, price: 0.5 }] },
      { warehouse_id: "WH1", sku: "SKU-3" },
    ],
  });
  expect(res.status).toBe(200);
  expect(res.body.model_kind).toBe("bootstrap-baseline");
  const [steady, cold] = res.body.forecasts;
  expect(steady.points).toHaveLength(14);
  for (const p of steady.points) expect(p.quantiles["0.05"]).toBeLessThanOrEqual(p.quantiles["0.95"]);
  expect(cold.method).toBe("cold-start");
  // Served forecasts land in the local raw store, in Firehose's layout.
  const dir = path.join(workspace, "raw", "forecasts");
  expect(fs.readdirSync(dir).some((d) => d.startsWith("dt="))).toBe(true);
});

it("advises from the endpoint's window quantiles for mixed lead times", async () => {
  const res = await call("POST", "/v1/recommendations", {
    items: [
      {
        warehouse_id: "WH1",
        sku: "SKU-1",
        lead_time_days: 3,
        review_period_days: 7,
        on_hand: 0,
        pack_size: 12,
      },
      { warehouse_id: "WH2", sku: "SKU-1", lead_time_days: 10, review_period_days: 0 },
      { warehouse_id: "WH1", sku: "SKU-2" },
    ],
  });
  expect(res.status).toBe(200);
  const [a, b, c] = res.body.recommendations;
  expect(a.protection_days).toBe(10);
  expect(a.suggested_order_quantity % 12).toBe(0);
  expect(a.suggested_order_quantity).toBeGreaterThan(0);
  expect(a.reorder_point).toBeGreaterThanOrEqual(a.expected_demand);
  expect(b.protection_days).toBe(10);
  expect(b.order_up_to_level).toBe(b.reorder_point);
  expect(c.inputs.sources.on_hand).toBe("series_state");
});

it("runs a bulk job for a warehouse in-process and writes NDJSON parts", async () => {
  const created = await call("POST", "/v1/forecast-jobs", { warehouse_ids: ["WH1"], horizon: 7 });
  expect(created.status).toBe(202);
  await api.jobsIdle();
  const done = await call("GET", `/v1/forecast-jobs/${created.body.job_id}`);
  expect(done.body.status).toBe("succeeded");
  expect(done.body.progress).toEqual({ series_total: 3, series_done: 3, series_failed: 0 });
  const file = new URL(done.body.result.parts[0].url);
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  expect(lines).toHaveLength(3);
});
