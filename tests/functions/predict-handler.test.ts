/** The predict handler end to end with injected clients: real Parquet, a contract-following fake endpoint. */
import { processJobMessage } from "../../functions/forecast-jobs-worker";
import { handlePredict } from "../../functions/predict";
import { ApiProblem } from "../../functions/predict/problem";
import { responseErrors } from "../api/conformance";
import { apiEvent, makeTestDeps, type TestDeps } from "./predict-support";

let t: TestDeps;

beforeAll(() => {
  t = makeTestDeps({ maxSeriesPerRequest: 3 });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const event = apiEvent(method, path, body, headers);
  const res = await handlePredict(event, t.deps);
  // Every response the handler gives must be one the spec declares, body and headers included.
  expect(responseErrors(t.deps.schemas, method, event.path, res)).toEqual([]);
  return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(res.body) };
}

describe("POST /v1/forecasts", () => {
  it("forecasts series from series_state and logs every served (series, date)", async () => {
    const before = t.servedLog.records.length;
    const res = await call("POST", "/v1/forecasts", {
      series: [
        { warehouse_id: "WH1", sku: "SKU-1" },
        { warehouse_id: "WH2", sku: "SKU-1" },
      ],
      horizon: 7,
      quantiles: [0.9, 0.1, 0.5],
    });
    expect(res.status).toBe(200);
    expect(res.body.quantiles).toEqual([0.1, 0.5, 0.9]);
    expect(res.body.forecasts.map((f: { warehouse_id: string }) => f.warehouse_id)).toEqual(["WH1", "WH2"]);
    const wh1 = res.body.forecasts[0];
    expect(wh1.last_data_date).toBe("2018-04-30");
    expect(wh1.points[0]).toMatchObject({ date: "2018-05-01", step: 1 });
    expect(wh1.points).toHaveLength(7);
    const sent = t.endpoint.requests.at(-1)!;
    expect(sent.series[0].history.start).toBe("2018-01-01");
    expect(sent.series[0].history.units).toHaveLength(120);
    const logged = t.servedLog.records.slice(before);
    expect(logged).toHaveLength(14);
    expect(logged[0]).toMatchObject({
      request_id: "req-test-1",
      warehouse_id: "WH1",
      sku: "SKU-1",
      target_date: "2018-05-01",
      step: 1,
    });
  });

  it("turns planned promo/price per date into step-aligned endpoint covariates (a what-if)", async () => {
    const res = await call("POST", "/v1/forecasts", {
      horizon: 5,
      series: [
        { warehouse_id: "WH1", sku: "SKU-1", future: [{ date: "2018-05-03", promo: true, price: 0.5 }] },
      ],
    });
    expect(res.status).toBe(200);
    expect(t.endpoint.requests.at(-1)!.series[0].future).toEqual({
      promo: [null, null, true],
      price: [null, null, 0.5],
    });
    expect(res.body.forecasts[0].points[2].mean).toBeGreaterThan(res.body.forecasts[0].points[1].mean);
  });

  it("uses the planned days the forecast covers: earlier and later ones are left out, repeats merge", async () => {
    const res = await call("POST", "/v1/forecasts", {
      horizon: 5,
      series: [
        {
          warehouse_id: "WH1",
          sku: "SKU-1",
          future: [
            { date: "2018-04-30", promo: true }, // the last data date: history, not the forecast
            { date: "2018-05-02", promo: false, price: 1 },
            { date: "2018-05-02", promo: true, price: 0.8 },
            { date: "2018-05-20", promo: true }, // past the 5-day horizon
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(t.endpoint.requests.at(-1)!.series[0].future).toEqual({ promo: [null, true], price: [null, 0.8] });
  });

  it("400 lists each invalid field, 413 over the per-call limit, 404 names unknown series", async () => {
    const bad = await call("POST", "/v1/forecasts", {
      series: [{ warehouse_id: "WH1" }],
      horizon: 0,
      colour: "red",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      "/body/colour",
      "/body/horizon",
      "/body/series/0/sku",
    ]);
    const tooMany = await call("POST", "/v1/forecasts", {
      series: ["a", "b", "c", "d"].map((sku) => ({ warehouse_id: "WH1", sku })),
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.limit).toBe(3);
    const unknown = await call("POST", "/v1/forecasts", {
      series: [
        { warehouse_id: "WH1", sku: "SKU-1" },
        { warehouse_id: "WH9", sku: "NOPE" },
      ],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.unknown_series).toEqual([{ warehouse_id: "WH9", sku: "NOPE" }]);
  });

  it("400 for a body that is not JSON, and for a horizon past the spec's maximum", async () => {
    expect((await call("POST", "/v1/forecasts", "{not json")).status).toBe(400);
    const far = await call("POST", "/v1/forecasts", {
      series: [{ warehouse_id: "WH1", sku: "SKU-1" }],
      horizon: 200,
    });
    expect(far.status).toBe(400);
    expect(far.body.errors[0]).toEqual({ field: "/body/horizon", message: "must be <= 90" });
  });

  it("splits a batch over endpointSeriesPerCall into calls made at once, answered in request order", async () => {
    const deps = { ...t.deps, config: { ...t.deps.config, endpointSeriesPerCall: 2 } };
    const series = [
      { warehouse_id: "WH2", sku: "SKU-1" },
      { warehouse_id: "WH1", sku: "SKU-1" },
      { warehouse_id: "WH1", sku: "SKU-2" },
    ];
    const before = t.endpoint.requests.length;
    const res = await handlePredict(apiEvent("POST", "/v1/forecasts", { series, horizon: 3 }), deps);
    expect(res.statusCode).toBe(200);
    const sent = t.endpoint.requests.slice(before);
    expect(sent.map((r) => r.series.map((x) => x.id))).toEqual([["WH2/SKU-1", "WH1/SKU-1"], ["WH1/SKU-2"]]);
    expect(
      JSON.parse(res.body).forecasts.map(
        (f: { sku: string; warehouse_id: string }) => f.warehouse_id + f.sku,
      ),
    ).toEqual(["WH2SKU-1", "WH1SKU-1", "WH1SKU-2"]);
    // Calls answered by two model versions (a promotion in between) cannot make one answer.
    let calls = 0;
    const split = {
      ...deps,
      endpoint: {
        invoke: async (r: Parameters<typeof t.endpoint.invoke>[0]) => {
          const out = await t.endpoint.invoke(r);
          return { ...out, response: { ...out.response, model_version: `v${calls++}` } };
        },
      },
    };
    const mixed = await handlePredict(apiEvent("POST", "/v1/forecasts", { series }), split);
    expect(mixed.statusCode).toBe(503);
    expect(mixed.headers?.["Retry-After"]).toBe("1");
  });

  it("503 with Retry-After when the endpoint is missing or keeps failing", async () => {
    t.endpoint.failures.push(
      new ApiProblem("unavailable", "No model is deployed yet.", { retryAfterSeconds: 30 }),
    );
    const res = await call("POST", "/v1/forecasts", { series: [{ warehouse_id: "WH1", sku: "SKU-1" }] });
    expect(res.status).toBe(503);
    expect(res.headers["Retry-After"]).toBe("30");
  });

  it("a bug answers 500 problem+json, never a stack trace", async () => {
    t.endpoint.failures.push(new TypeError("boom"));
    const res = await handlePredict(
      apiEvent("POST", "/v1/forecasts", { series: [{ warehouse_id: "WH1", sku: "SKU-1" }] }),
      t.deps,
    );
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ status: 500, title: "Internal error" });
    expect(res.body).not.toContain("boom");
  });

  it("rejects what is not a REST proxy request (an HTTP API 2.0 payload): logged whole, counted, 500", async () => {
    const event = { version: "2.0", rawPath: "/v1/health", requestContext: { http: { method: "GET" } } };
    const logged = jest.spyOn(t.deps.obs.logger, "error");
    const counted = jest.spyOn(t.deps.obs.metrics, "addMetric");
    const res = await handlePredict(event as never, t.deps);
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({
      status: 500,
      detail: "The request could not be read; it has been logged.",
    });
    expect(logged).toHaveBeenCalledWith("event rejected", {
      reason: expect.stringMatching(/^not an API Gateway REST proxy request: httpMethod: .*; path: /),
      event,
    });
    expect(counted).toHaveBeenCalledWith("EventsRejected", "Count", 1);
    logged.mockRestore();
    counted.mockRestore();
  });
});

describe("GET /v1/forecasts/{warehouseId}/{sku}", () => {
  it("reads horizon and comma-separated quantiles from the query", async () => {
    const res = await call("GET", "/v1/forecasts/WH2/SKU-1?horizon=3&quantiles=0.05,0.95");
    expect(res.status).toBe(200);
    expect(res.body.forecasts[0].points).toHaveLength(3);
    expect(Object.keys(res.body.forecasts[0].points[0].quantiles)).toEqual(["0.05", "0.95"]);
  });

  it("400 for bad query values and unknown parameters, 404 for unknown series", async () => {
    const bad = await call("GET", "/v1/forecasts/WH1/SKU-1?horizon=abc&quantiles=2&x=1");
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      "/query/horizon",
      "/query/quantiles/0",
      "/query/x",
    ]);
    expect((await call("GET", "/v1/forecasts/WH1/NOPE")).status).toBe(404);
  });
});

describe("POST /v1/recommendations", () => {
  it("advises from the protection-window distribution, with item defaults and their sources", async () => {
    const res = await call("POST", "/v1/recommendations", {
      items: [
        {
          warehouse_id: "WH1",
          sku: "SKU-1",
          lead_time_days: 5,
          review_period_days: 7,
          on_hand: 10,
          moq: 24,
          pack_size: 6,
        },
        { warehouse_id: "WH2", sku: "SKU-1" },
      ],
    });
    expect(res.status).toBe(200);
    const [a, b] = res.body.recommendations;
    expect(a.protection_days).toBe(12);
    expect(a.inputs.sources).toMatchObject({
      lead_time_days: "request",
      service_level: "default",
      on_order: "default",
    });
    expect(a.suggested_order_quantity % 6).toBe(0);
    expect(a.suggested_order_quantity).toBeGreaterThanOrEqual(24);
    expect(a.stockout_risk).toBeLessThan(a.stockout_risk_without_order);
    // The endpoint was asked for the protection windows, not only daily quantiles.
    const req = t.endpoint.requests.at(-1)!;
    expect(req.windows).toEqual([
      { name: "protection_12", start: 1, end: 12 },
      { name: "protection_14", start: 1, end: 14 },
    ]);
    expect(req.quantiles).toContain(0.95);
    expect(b.inputs.on_hand).toBe(500);
    expect(b.inputs.sources.on_hand).toBe("series_state");
    expect(b.suggested_order_quantity).toBe(0);
  });

  it("advises for an unknown on hand as for an empty shelf, and with no protection interval orders nothing", async () => {
    const res = await call("POST", "/v1/recommendations", {
      items: [
        { warehouse_id: "WH1", sku: "SKU-3" },
        { warehouse_id: "WH1", sku: "SKU-1", lead_time_days: 0, review_period_days: 0, on_hand: 3 },
      ],
    });
    expect(res.status).toBe(200);
    const [unknownStock, instant] = res.body.recommendations;
    expect(unknownStock.inputs.on_hand).toBe(0);
    expect(unknownStock.inputs.sources.on_hand).toBe("default");
    expect(unknownStock.suggested_order_quantity).toBeGreaterThan(0);
    expect(instant).toMatchObject({
      protection_days: 0,
      reorder_point: 0,
      order_up_to_level: 0,
      suggested_order_quantity: 0,
      stockout_risk: 0,
      inventory_position: 3,
    });
    // One call: the 14-day window for the first item, none for the second.
    expect(t.endpoint.requests.at(-1)!.windows).toEqual([{ name: "protection_14", start: 1, end: 14 }]);
  });

  it("splits more protection intervals than one endpoint call takes (20 windows) over several calls", async () => {
    const u = makeTestDeps();
    const items = Array.from({ length: 45 }, (_, i) => ({
      warehouse_id: "WH1",
      sku: "SKU-1",
      lead_time_days: i,
      review_period_days: 1,
    }));
    const res = await handlePredict(apiEvent("POST", "/v1/recommendations", { items }), u.deps);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.recommendations.map((r: { protection_days: number }) => r.protection_days)).toEqual(
      items.map((_, i) => i + 1),
    );
    expect(u.endpoint.requests.map((r) => r.windows!.length).sort((a, b) => a - b)).toEqual([5, 20, 20]);
    // The longest interval sets a call's horizon.
    expect(Math.max(...u.endpoint.requests.map((r) => r.horizon))).toBe(45);
  });
});

describe("GET /v1/health", () => {
  it("reports the model version and, without run manifests, data availability", async () => {
    const res = await call("GET", "/v1/health");
    expect(res.status).toBe(200);
    expect(res.body.model).toEqual({ available: true, version: t.endpoint.modelVersion, kind: "global-gbm" });
    expect(res.body.data.available).toBe(true);
    expect(res.body.status).toBe("ok");
  });

  it("reads freshness from the newest run manifest and calls old data stale", async () => {
    const u = makeTestDeps({ staleAfterHours: 24 });
    await u.processed.put(
      "runs/run-1.json",
      JSON.stringify({ run_id: "run-1", finished_at: "2000-01-01T00:00:00Z" }),
      "application/json",
    );
    const res = await handlePredict(apiEvent("GET", "/v1/health"), u.deps);
    const body = JSON.parse(res.body);
    expect(body.data).toMatchObject({ last_run_id: "run-1", stale: true });
    expect(body.status).toBe("degraded");
  });

  it("counts served-forecast records and shows a failing log as degraded until a write succeeds", async () => {
    const u = makeTestDeps();
    let fail: Error | undefined = new Error("disk full");
    const deps = {
      ...u.deps,
      servedLog: {
        write: async (records: readonly unknown[]) => {
          if (fail) throw fail;
          return { delivered: records.length, failed: 0, reasons: [] };
        },
      },
    };
    const forecastOne = () =>
      handlePredict(
        apiEvent("POST", "/v1/forecasts", { horizon: 5, series: [{ warehouse_id: "WH1", sku: "SKU-1" }] }),
        deps,
      );
    const health = async () => JSON.parse((await handlePredict(apiEvent("GET", "/v1/health"), deps)).body);

    // The client still gets its forecast; the loss is counted and shown.
    expect((await forecastOne()).statusCode).toBe(200);
    const failing = await health();
    expect(failing.status).toBe("degraded");
    expect(failing.served_log).toEqual({
      records_logged: 0,
      records_failed: 5,
      failing: true,
      last_failure_at: expect.any(String),
      last_failure: "disk full",
    });

    fail = undefined;
    expect((await forecastOne()).statusCode).toBe(200);
    const recovered = await health();
    expect(recovered.status).toBe("ok");
    expect(recovered.served_log).toMatchObject({ records_logged: 5, records_failed: 5, failing: false });
  });

  it("is unavailable (still 200) when no data has been written", async () => {
    const empty = makeTestDeps({}, []);
    const res = await handlePredict(apiEvent("GET", "/v1/health"), empty.deps);
    expect(JSON.parse(res.body)).toMatchObject({ status: "unavailable", data: { available: false } });
    const f = await handlePredict(
      apiEvent("POST", "/v1/forecasts", { series: [{ warehouse_id: "WH1", sku: "SKU-1" }] }),
      empty.deps,
    );
    expect(f.statusCode).toBe(503);
    expect(f.headers?.["Retry-After"]).toBe("30");
  });
});

describe("forecast jobs", () => {
  it("202 with a job id, then the worker writes NDJSON parts and GET links to them", async () => {
    const created = await call("POST", "/v1/forecast-jobs", { warehouse_ids: ["WH1"], horizon: 3 });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: "queued", progress: { series_total: 3, series_done: 0 } });
    expect(created.headers.Location).toBe(`https://api.example/v1/forecast-jobs/${created.body.job_id}`);
    const message = t.queue.messages.at(-1)!;
    expect(message).toEqual({ job_id: created.body.job_id, cursor: 0 });

    // Two chunks (chunk size 2): the worker hands over after the first when time runs short.
    let left = 1;
    await processJobMessage(message, {
      predict: t.deps,
      jobs: t.deps.jobs,
      chunkSize: 2,
      remainingMs: () => (left-- > 0 ? 1e9 : 0),
      handOverMs: 1000,
    });
    const handedOver = t.queue.messages.at(-1)!;
    expect(handedOver).toEqual({ job_id: created.body.job_id, cursor: 2 });
    const mid = await call("GET", `/v1/forecast-jobs/${created.body.job_id}`);
    expect(mid.body).toMatchObject({ status: "running", progress: { series_done: 2 } });
    await processJobMessage(handedOver, {
      predict: t.deps,
      jobs: t.deps.jobs,
      chunkSize: 2,
      remainingMs: () => 1e9,
      handOverMs: 1000,
    });

    const done = await call("GET", `/v1/forecast-jobs/${created.body.job_id}`);
    expect(done.body.status).toBe("succeeded");
    expect(done.body.progress).toEqual({ series_total: 3, series_done: 3, series_failed: 0 });
    expect(done.body.result.parts).toHaveLength(2);
    const part = t.jobsStore.objects.get(`forecast-jobs/${created.body.job_id}/part-00000.ndjson`)!;
    const lines = new TextDecoder()
      .decode(part.body)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.sku)).toEqual(["SKU-1", "SKU-2"]);
  });

  it("400 for both or neither selector, 404 for an unknown job or warehouse", async () => {
    expect((await call("POST", "/v1/forecast-jobs", {})).status).toBe(400);
    expect(
      (
        await call("POST", "/v1/forecast-jobs", {
          warehouse_ids: ["WH1"],
          series: [{ warehouse_id: "WH1", sku: "SKU-1" }],
        })
      ).status,
    ).toBe(400);
    expect((await call("POST", "/v1/forecast-jobs", { warehouse_ids: ["NOWHERE"] })).status).toBe(404);
    expect((await call("GET", "/v1/forecast-jobs/0123456789abcdef")).status).toBe(404);
    expect((await call("GET", "/v1/forecast-jobs/BAD_ID")).status).toBe(400);
  });
});

describe("the HTTP contract around the routes", () => {
  it("405 with an Allow header naming the path's methods", async () => {
    const res = await handlePredict(apiEvent("DELETE", "/v1/forecasts"), t.deps);
    expect(res.statusCode).toBe(405);
    expect(res.headers?.Allow).toBe("POST");
    expect(JSON.parse(res.body).detail).toBe("DELETE is not allowed on /v1/forecasts; use POST.");
    expect(responseErrors(t.deps.schemas, "POST", "/v1/forecasts", { ...res, statusCode: 400 })).toEqual([]);
  });

  it("415 for a body that is not JSON, naming what was sent", async () => {
    const form = await call("POST", "/v1/forecasts", "series=WH1", {
      "Content-Type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);
    expect(form.body.detail).toBe(
      "The body is application/x-www-form-urlencoded; send it as application/json.",
    );
    const none = await handlePredict(
      { ...apiEvent("POST", "/v1/forecasts", '{"series":[]}'), headers: { Host: "api.example" } },
      t.deps,
    );
    expect(JSON.parse(none.body).detail).toBe("The body has no Content-Type; send it as application/json.");
    // JSON with a charset is JSON.
    const utf8 = await call(
      "POST",
      "/v1/forecasts",
      { series: [{ warehouse_id: "WH1", sku: "SKU-1" }] },
      {
        "Content-Type": "application/json; charset=utf-8",
      },
    );
    expect(utf8.status).toBe(200);
  });

  it("says what is wrong with a query value, not only its type", async () => {
    const res = await call("GET", "/v1/forecasts/WH1/SKU-1?horizon=-1&quantiles=-0.1,0.5");
    expect(res.body.errors).toEqual([
      { field: "/query/horizon", message: "must be >= 1" },
      { field: "/query/quantiles/0", message: "must be >= 0.001" },
    ]);
    const jobs = await call("POST", "/v1/forecast-jobs", { horizon: 3 });
    expect(jobs.body.errors).toEqual([
      { field: "/body", message: "must have exactly one of warehouse_ids, series" },
    ]);
  });

  it("never echoes a long id or path whole", async () => {
    const long = "x".repeat(10_000);
    const res = await call("GET", `/v1/forecasts/${long}/SKU-1`);
    expect(res.status).toBe(400);
    expect(res.body.instance).toBe(`/v1/forecasts/${"x".repeat(186)}… (10020 characters)`);
    const query = await call("GET", `/v1/forecasts/WH1/SKU-1?${"q".repeat(5000)}=1`);
    expect(query.body.errors).toEqual([
      { field: `/query/${"q".repeat(64)}… (5000 characters)`, message: "is not a known parameter" },
    ]);
    expect(JSON.stringify(res.body).length + JSON.stringify(query.body).length).toBeLessThan(1500);
  });
});
