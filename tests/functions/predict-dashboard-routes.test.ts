/**
 * The routes the dashboard reads (GET /v1/series, /v1/series/{w}/{s}/history, /v1/model, /v1/accuracy) through
 * the predict handler, on real Parquet; every response checked against api/openapi.yaml.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { handlePredict, type PredictDeps } from "../../functions/predict";
import { backtestOf } from "../../functions/predict/model-route";
import { ApiProblem } from "../../functions/predict/problem";
import { responseErrors } from "../api/conformance";
import {
  apiEvent,
  FakeEndpoint,
  makeTestDeps,
  replayScores,
  replaySettings,
  type TestDeps,
} from "./predict-support";

// Fixtures spawn Python (pyarrow), slow on a loaded machine.
jest.setTimeout(300_000);

let t: TestDeps;

beforeAll(() => {
  t = makeTestDeps();
});

async function call(path: string, deps: PredictDeps = t.deps) {
  const event = apiEvent("GET", path);
  const res = await handlePredict(event, deps);
  expect(responseErrors(deps.schemas, "GET", event.path, res)).toEqual([]);
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

/** A metrics.json as model/train.py writes it (docs/model.md), trimmed to three methods. */
const METRICS = {
  model_version: "2026-11-28T05-00-00Z-test",
  model_kind: "global-gbm",
  primary_metric: "rmsse",
  setup: {
    freq: "D",
    horizon: 28,
    origins: 2,
    series: 4,
    refit: "first",
    season: 7,
    windows: [{ origin: "2018-04-01", first: "2018-04-02", last: "2018-04-29" }],
  },
  metrics: {
    naive: { mase: 1.4, rmsse: 1.2, wape: 0.9, bias: 0.1, points: 224, pairs_scored: 8 },
    model: { mase: 0.7, rmsse: 0.66, wape: 0.65, bias: -0.03, pinball: 0.21, coverage_80: 0.8, points: 224 },
    ets: { mase: 0.9, rmsse: 0.8, wape: 0.7, bias: 0.02, pinball: null, coverage_80: null, points: 224 },
  },
};

/** metrics.json's `inventory` as model/inventory.py writes it, two series and two policies. */
const score = (fill: number, csl: number, stock: number) => replayScores(fill, csl, stock, 3, 98);
const INVENTORY = {
  settings: replaySettings("2018-09-11", "2018-12-31", 2),
  policies: {
    model: {
      pooled: score(0.96, 0.955, 80),
      series: { "WH1/SKU-1": score(0.97, 0.96, 30), "WH1/SKU-2": score(0.95, 0.95, 50) },
      curve: [],
    },
    weeks_of_cover: {
      pooled: score(0.97, 0.98, 200),
      series: { "WH1/SKU-1": score(0.98, 0.99, 90), "WH1/SKU-2": score(0.96, 0.97, 110) },
      curve: [],
      cover_days: 30.5,
    },
  },
  goal: {
    met: false,
    checks: { csl_within_3_points: { met: true }, vs_weeks_of_cover: { met: false } },
  },
  matched: {
    cycle_service_level: [{ service: 0.95, avg_on_hand: { model: 78.5, weeks_of_cover: null } }],
    fill_rate: [{ service: 0.95, avg_on_hand: { model: 60.0, weeks_of_cover: 120.0 } }],
    goal: {
      met: null,
      checks: {
        cycle_service_level_vs_weeks_of_cover: { met: null },
        fill_rate_vs_weeks_of_cover: { met: true },
      },
    },
  },
};

describe("GET /v1/series", () => {
  it("lists every series with its date span and on hand, or one warehouse's", async () => {
    const all = await call("/v1/series");
    expect(all.status).toBe(200);
    expect(
      all.body.series.map((s: { sku: string; warehouse_id: string }) => `${s.warehouse_id}/${s.sku}`),
    ).toEqual(["WH1/SKU-1", "WH1/SKU-2", "WH1/SKU-3", "WH2/SKU-1"]);
    expect(all.body.series[2]).toEqual({
      warehouse_id: "WH1",
      sku: "SKU-3",
      first_date: "2018-04-20",
      last_date: "2018-04-22",
      on_hand: null,
    });
    const wh2 = await call("/v1/series?warehouse_id=WH2");
    expect(wh2.body.series).toEqual([
      { warehouse_id: "WH2", sku: "SKU-1", first_date: "2018-01-01", last_date: "2018-04-30", on_hand: 500 },
    ]);
  });

  it("400 names a bad warehouse id or an unknown parameter", async () => {
    const bad = await call("/v1/series?warehouse_id=W%20H&x=1");
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      "/query/warehouse_id",
      "/query/x",
    ]);
  });
});

describe("GET /v1/series/{warehouseId}/{sku}/history", () => {
  it("gives the last N days of series_state, oldest first, aligned on dates", async () => {
    const res = await call("/v1/series/WH2/SKU-1/history?days=7");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      warehouse_id: "WH2",
      sku: "SKU-1",
      last_date: "2018-04-30",
      on_hand: 500,
    });
    // The fixture's units are 20 + (i % 7) from 2018-01-01 (i = 0); 2018-04-30 is day 119.
    expect(res.body.days.map((d: { date: string }) => d.date)).toEqual([
      "2018-04-24",
      "2018-04-25",
      "2018-04-26",
      "2018-04-27",
      "2018-04-28",
      "2018-04-29",
      "2018-04-30",
    ]);
    expect(res.body.days.map((d: { units: number }) => d.units)).toEqual(
      [113, 114, 115, 116, 117, 118, 119].map((i) => 20 + (i % 7)),
    );
    expect(res.body.days[0]).toMatchObject({ stockout: false, closed: false, promo: false });
  });

  it("defaults to 120 days and never invents days before the window", async () => {
    const res = await call("/v1/series/WH1/SKU-3/history");
    expect(res.body.days.map((d: { units: number }) => d.units)).toEqual([1, 2, 0]);
  });

  it("404 names an unknown series; 400 for bad days", async () => {
    const unknown = await call("/v1/series/WH1/NOPE/history");
    expect(unknown.status).toBe(404);
    expect(unknown.body.unknown_series).toEqual([{ warehouse_id: "WH1", sku: "NOPE" }]);
    for (const q of ["days=0", "days=abc", "days=99999", "depth=3"]) {
      const bad = await call(`/v1/series/WH1/SKU-1/history?${q}`);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe(`/query/${q.split("=")[0]}`);
    }
  });
});

describe("GET /v1/model", () => {
  it("names the served version and its backtest, methods in the report's order", async () => {
    const versions: string[] = [];
    const deps: PredictDeps = {
      ...t.deps,
      modelMetrics: {
        metrics: async (v) => {
          versions.push(v);
          return METRICS;
        },
      },
    };
    const res = await call("/v1/model", deps);
    expect(res.status).toBe(200);
    expect(versions).toEqual([t.endpoint.modelVersion]);
    expect(res.body.model_version).toBe(t.endpoint.modelVersion);
    expect(res.body.backtest).toMatchObject({ primary_metric: "rmsse", horizon: 28, origins: 2, series: 4 });
    expect(res.body.backtest.methods.map((m: { method: string }) => m.method)).toEqual([
      "model",
      "ets",
      "naive",
    ]);
    expect(res.body.backtest.methods[2]).toEqual({
      method: "naive",
      mase: 1.4,
      rmsse: 1.2,
      wape: 0.9,
      bias: 0.1,
      pinball: null,
      coverage_80: null,
      points: 224,
    });
  });

  it("carries the inventory-policy backtest pooled: scores per policy, the goal, inventory at matched service", async () => {
    const deps = { ...t.deps, modelMetrics: { metrics: async () => ({ ...METRICS, inventory: INVENTORY }) } };
    const res = await call("/v1/model", deps);
    expect(res.body.inventory).toEqual({
      settings: {
        lead_time_days: 7,
        review_period_days: 7,
        service_level: 0.95,
        first_day: "2018-09-11",
        last_day: "2018-12-31",
        days: 112,
        reviews: 16,
      },
      policies: [
        {
          policy: "model",
          fill_rate: 0.96,
          cycle_service_level: 0.955,
          avg_on_hand: 80,
          units_days: 7840,
          stockout_days: 3,
          orders: 12,
        },
        {
          policy: "weeks_of_cover",
          fill_rate: 0.97,
          cycle_service_level: 0.98,
          avg_on_hand: 200,
          units_days: 19600,
          stockout_days: 3,
          orders: 12,
        },
      ],
      goal: {
        met: false,
        checks: [
          { check: "csl_within_3_points", met: true },
          { check: "vs_weeks_of_cover", met: false },
        ],
      },
      matched: [
        { metric: "cycle_service_level", service: 0.95, avg_on_hand: { model: 78.5, weeks_of_cover: null } },
        { metric: "fill_rate", service: 0.95, avg_on_hand: { model: 60, weeks_of_cover: 120 } },
      ],
      matched_goal: {
        met: null,
        checks: [
          { check: "cycle_service_level_vs_weeks_of_cover", met: null },
          { check: "fill_rate_vs_weeks_of_cover", met: true },
        ],
      },
    });
    expect(res.body.inventory_detail).toBeUndefined();
  });

  it("says why there is no inventory backtest: skipped in training, none in the artifact, no artifacts", async () => {
    const skipped = { ...METRICS, inventory: { skipped: "inventory backtest skipped: it needs daily data" } };
    const withSkip = { ...t.deps, modelMetrics: { metrics: async () => skipped } };
    expect((await call("/v1/model", withSkip)).body.inventory_detail).toMatch(/needs daily data/);
    const older = { ...t.deps, modelMetrics: { metrics: async () => METRICS } };
    expect((await call("/v1/model", older)).body.inventory_detail).toMatch(/no inventory backtest/);
    expect((await call("/v1/model")).body.inventory_detail).toMatch(/artifacts/);
  });

  it("says why there is no backtest (none in the artifact, or no artifact access)", async () => {
    const none = await call("/v1/model", { ...t.deps, modelMetrics: { metrics: async () => undefined } });
    expect(none.body.backtest).toBeUndefined();
    expect(none.body.backtest_detail).toMatch(/no backtest/);
    const identityOnly = backtestOf({ model_version: "v", model_kind: "bootstrap-baseline" });
    expect(identityOnly).toBeUndefined();
    const noSource = await call("/v1/model");
    expect(noSource.body.backtest_detail).toMatch(/artifacts/);
  });

  it("503 when the endpoint does not answer", async () => {
    const down = new FakeEndpoint();
    down.failures.push(new ApiProblem("unavailable", "The forecast endpoint is not available."));
    const res = await call("/v1/model", { ...t.deps, endpoint: down });
    expect(res.status).toBe(503);
  });
});

describe("GET /v1/model/series/{warehouseId}/{sku}", () => {
  /** METRICS plus the per-series columns model/backtest.py writes (ids "warehouse/sku"). */
  const PER_SERIES = {
    ...METRICS,
    series_metrics: {
      ids: ["WH1/SKU-1", "WH1/SKU-2"],
      method: ["global-gbm", "intermittent"],
      metrics: {
        naive: { mase: [1.5, 1.1], rmsse: [1.3, 1.0], wape: [0.9, 1.2], bias: [0.1, null], points: [56, 50] },
        model: {
          mase: [0.6, 0.9],
          rmsse: [0.5, 0.8],
          wape: [0.4, 1.0],
          bias: [-0.02, 0.3],
          points: [56, 50],
        },
      },
    },
  };
  const withMetrics = (m: unknown): PredictDeps => ({ ...t.deps, modelMetrics: { metrics: async () => m } });

  it("answers one series' errors per method and the method the model used for it", async () => {
    const res = await call("/v1/model/series/WH1/SKU-2", withMetrics(PER_SERIES));
    expect(res).toEqual({
      status: 200,
      body: {
        model_version: t.endpoint.modelVersion,
        model_kind: expect.any(String),
        warehouse_id: "WH1",
        sku: "SKU-2",
        method: "intermittent",
        scores: [
          { method: "model", mase: 0.9, rmsse: 0.8, wape: 1.0, bias: 0.3, points: 50 },
          { method: "naive", mase: 1.1, rmsse: 1.0, wape: 1.2, bias: null, points: 50 },
        ],
        inventory_detail: expect.stringMatching(/no inventory backtest/),
      },
    });
  });

  it("carries the series' own inventory-policy scores, without the pooled goal", async () => {
    const res = await call(
      "/v1/model/series/WH1/SKU-2",
      withMetrics({ ...PER_SERIES, inventory: INVENTORY }),
    );
    expect(res.body.inventory.policies).toEqual([
      {
        policy: "model",
        fill_rate: 0.95,
        cycle_service_level: 0.95,
        avg_on_hand: 50,
        units_days: 4900,
        stockout_days: 3,
        orders: 12,
      },
      {
        policy: "weeks_of_cover",
        fill_rate: 0.96,
        cycle_service_level: 0.97,
        avg_on_hand: 110,
        units_days: 10780,
        stockout_days: 3,
        orders: 12,
      },
    ]);
    expect(res.body.inventory.settings.service_level).toBe(0.95);
    expect(res.body.inventory.goal).toBeUndefined();
    const absent = await call(
      "/v1/model/series/WH2/SKU-1",
      withMetrics({ ...PER_SERIES, inventory: INVENTORY }),
    );
    expect(absent.body.inventory_detail).toMatch(/not in the model's inventory backtest/);
  });

  it("says why there are no scores: older metrics, series not in the backtest, no artifacts", async () => {
    const older = await call("/v1/model/series/WH1/SKU-1", withMetrics(METRICS));
    expect(older.body.scores).toBeUndefined();
    expect(older.body.backtest_detail).toMatch(/no per-series backtest/);
    const newer = await call("/v1/model/series/WH2/SKU-1", withMetrics(PER_SERIES));
    expect(newer.body.backtest_detail).toMatch(/not in the model's backtest/);
    expect((await call("/v1/model/series/WH1/SKU-1")).body.backtest_detail).toMatch(/artifacts/);
  });

  it("400 on a malformed id, 503 when the endpoint does not answer", async () => {
    expect((await call("/v1/model/series/WH1/bad%20id", withMetrics(PER_SERIES))).status).toBe(400);
    const down = new FakeEndpoint();
    down.failures.push(new ApiProblem("unavailable", "The forecast endpoint is not available."));
    expect((await call("/v1/model/series/WH1/SKU-1", { ...t.deps, endpoint: down })).status).toBe(503);
  });
});

describe("GET /v1/accuracy", () => {
  it("is empty before any served forecast met its actuals", async () => {
    const res = await call("/v1/accuracy");
    expect(res).toEqual({ status: 200, body: { rows: [] } });
  });

  it("reads the ETL's accuracy Parquet, newest day first, roll-up rows only", async () => {
    const dir = path.join(t.workspace, "processed", "accuracy");
    const script = `
import sys, pyarrow as pa, pyarrow.parquet as pq, os
rows = [dict(group=g, model_version=m, n=n, abs_error=5.0, actual=20.0, error=-2.0, wape=0.25, bias=-0.1)
        for g, m, n in [("__all__", "__all__", 4), ("WH1", "__all__", 3), ("WH1", "v1", 3)]]
for d in ["2018-05-01", "2018-05-02"]:
    os.makedirs(f"{sys.argv[1]}/date={d}", exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), f"{sys.argv[1]}/date={d}/part-0.parquet")
`;
    const out = spawnSync(path.join(__dirname, "..", "..", ".venv", "bin", "python"), ["-c", script, dir], {
      encoding: "utf8",
    });
    expect(out.stderr).toBe("");
    const res = await call("/v1/accuracy?days=1");
    expect(res.body.rows).toEqual([
      {
        date: "2018-05-02",
        group: "__all__",
        n: 4,
        abs_error: 5,
        actual: 20,
        error: -2,
        wape: 0.25,
        bias: -0.1,
      },
      { date: "2018-05-02", group: "WH1", n: 3, abs_error: 5, actual: 20, error: -2, wape: 0.25, bias: -0.1 },
    ]);
    expect((await call("/v1/accuracy?days=0")).status).toBe(400);
  });
});
