/**
 * Local mode end to end on a slice of the bundled data (5 SKUs, 13 months): `warecast demo --no-serve` (import →
 * Spark ETL → training with backtest), then serving as `warecast serve` does. Every API answer is checked
 * against api/openapi.yaml; then headless Chromium loads the dashboard, selects a SKU, and the plotted forecast
 * and reorder point must equal what the API returns for it. Screenshots go to test-artifacts/.
 *
 * One pipeline run serves every test in this file; timeouts are generous because the machine is shared.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { startServing, type Serving } from "../../cli/commands/serve";
import { latestMetrics, runCommand } from "../../cli/demo/stages";
import { buildProgram } from "../../cli/main";
import { responseErrors } from "../api/conformance";
import { ARTIFACTS_DIR, launchBrowser } from "../support/browser";
import { writeSlice } from "./slice";

jest.setTimeout(45 * 60_000);

/** The little of a page canvas the test reads (the page runs in Chromium; this file type-checks without DOM). */
interface Canvas {
  width: number;
  height: number;
  toDataURL(): string;
}

const SKUS = ["B1_1", "B1_2", "B2_1", "B3_1", "B4_1"];
const WAREHOUSE = "IT-PASTA-1";
let root: string;
let workspace: string;
let serving: Serving;
let demoStdout = "";

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-e2e-"));
  workspace = path.join(root, "ws");
  const slice = path.join(root, "pasta-slice.csv");
  expect(writeSlice(slice, SKUS, "2017-12-01").rows).toBeGreaterThan(300);
  // --json: stdout carries only the demo's summary; the narration and the stages' results go to stderr.
  const stdout = jest
    .spyOn(process.stdout, "write")
    .mockImplementation((s) => ((demoStdout += String(s)), true));
  try {
    await buildProgram().parseAsync(
      ["demo", "--workspace", workspace, "--data", slice, "--no-serve", "--json"],
      {
        from: "user",
      },
    );
  } finally {
    stdout.mockRestore();
  }
  serving = await startServing({ workspace, port: 0, endpointPort: 0 });
});

afterAll(async () => {
  await serving?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

async function api(method: string, route: string, body?: unknown, key = serving.api.apiKey) {
  const res = await fetch(serving.api.url + route, {
    method,
    headers: {
      ...(key ? { "x-api-key": key } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const errors = responseErrors(serving.api.deps.schemas, method, new URL(serving.api.url + route).pathname, {
    statusCode: res.status,
    body: text,
    headers: Object.fromEntries(res.headers),
  });
  expect({ route, status: res.status, errors }).toEqual({ route, status: res.status, errors: [] });
  return { status: res.status, body: JSON.parse(text) };
}

describe("warecast demo --no-serve on a slice of the bundled data", () => {
  it("ran every stage, timed each, and trained a model with a backtest against the baselines", () => {
    const timings = JSON.parse(fs.readFileSync(path.join(workspace, "demo-timings.json"), "utf8"));
    expect(timings.stages.map((s: { stage: string }) => s.stage)).toEqual(["import", "etl", "train"]);
    for (const s of timings.stages) expect(s.seconds).toBeGreaterThan(0);
    const { metrics } = latestMetrics(workspace);
    const m = metrics as { setup: { series: number }; metrics: Record<string, { rmsse: number }> };
    expect(m.setup.series).toBe(SKUS.length);
    expect(Object.keys(m.metrics)).toEqual(
      expect.arrayContaining(["model", "naive", "seasonal_naive", "ets"]),
    );
    expect(m.metrics.model.rmsse).toBeGreaterThan(0);
    // The ETL ran through the producer's raw store and wrote its manifest.
    const runs = fs.readdirSync(path.join(workspace, "processed", "runs")).filter((f) => f.endsWith(".json"));
    expect(runs).toHaveLength(1);
    const manifest = JSON.parse(fs.readFileSync(path.join(workspace, "processed", "runs", runs[0]), "utf8"));
    expect(manifest.quarantined).toBe(0);
    expect(manifest.records_in).toBe(manifest.valid + manifest.quarantined + manifest.duplicates);
    // --json printed the same, and nothing else, on stdout.
    const summary = JSON.parse(demoStdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      format: "wide-daily-csv",
      etl: manifest,
      model: { version: latestMetrics(workspace).version, metrics: m },
      stages: timings.stages,
    });
  });

  it("serves the trained model through the API, every answer as the OpenAPI spec declares", async () => {
    const health = await api("GET", "/v1/health");
    expect(health.body.status).toBe("ok");
    const { version } = latestMetrics(workspace);
    expect(health.body.model.version).toBe(version);

    const series = await api("GET", "/v1/series");
    expect(series.body.series.map((s: { sku: string }) => s.sku).sort()).toEqual([...SKUS].sort());
    expect(series.body.series[0]).toMatchObject({ warehouse_id: WAREHOUSE, last_date: "2018-12-31" });

    const history = await api("GET", `/v1/series/${WAREHOUSE}/B1_1/history?days=30`);
    expect(history.body.days).toHaveLength(30);
    expect(history.body.days.at(-1).date).toBe("2018-12-31");
    // Christmas: the bundled file has no row, so the import marked the warehouse closed.
    expect(history.body.days.find((d: { date: string }) => d.date === "2018-12-25")).toMatchObject({
      closed: true,
    });

    const fc = await api("GET", `/v1/forecasts/${WAREHOUSE}/B1_1?horizon=14`);
    expect(fc.body.model_version).toBe(version);
    expect(fc.body.forecasts[0].points).toHaveLength(14);
    expect(fc.body.forecasts[0].points[0]).toMatchObject({ date: "2019-01-01", step: 1 });

    const post = await api("POST", "/v1/forecasts", {
      series: SKUS.map((sku) => ({ warehouse_id: WAREHOUSE, sku })),
      quantiles: [0.05, 0.5, 0.95],
    });
    expect(post.body.forecasts).toHaveLength(SKUS.length);

    const recs = await api("POST", "/v1/recommendations", {
      items: [
        { warehouse_id: WAREHOUSE, sku: "B2_1", lead_time_days: 5, review_period_days: 7, on_hand: 10 },
      ],
    });
    const rec = recs.body.recommendations[0];
    expect(rec.reorder_point).toBeGreaterThanOrEqual(rec.expected_demand);

    const model = await api("GET", "/v1/model");
    expect(model.body.model_version).toBe(version);
    expect(model.body.backtest.methods.map((r: { method: string }) => r.method)).toEqual(
      expect.arrayContaining(["model", "seasonal_naive"]),
    );

    const accuracy = await api("GET", "/v1/accuracy");
    expect(accuracy.body.rows).toEqual([]);

    expect((await api("GET", `/v1/forecasts/${WAREHOUSE}/NOPE`)).status).toBe(404);
    expect((await api("GET", `/v1/series/${WAREHOUSE}/B1_1/history?days=0`)).status).toBe(400);
    expect((await api("GET", "/v1/health", undefined, "wrong-key")).status).toBe(403);
  });

  it("single stages say which command produces their missing input", async () => {
    const empty = path.join(root, "empty");
    await expect(runCommand(["train", "--workspace", empty])).rejects.toThrow(/warecast etl/);
    await expect(
      runCommand(["etl", "--raw", path.join(empty, "raw"), "--processed", path.join(empty, "processed")]),
    ).rejects.toThrow(/warecast import/);
  });
});

describe("dashboard in headless Chromium", () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 1400 } });
    page.setDefaultTimeout(180_000);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("loads, selects a SKU, and plots exactly the forecast and reorder point the API returns", async () => {
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(serving.dashboardUrl);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard?: { panelsReady: boolean } }).warecastDashboard
          ?.panelsReady === true,
    );
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "dashboard-initial.png"), fullPage: true });

    await page.selectOption("#sku", "B3_1");
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: { forecast?: { sku: string } } }).warecastDashboard
          .forecast?.sku === "B3_1",
    );
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "dashboard-B3_1.png"), fullPage: true });
    expect(await page.isVisible("#error")).toBe(false);
    expect(await page.textContent("#kpi-note")).toMatch(/No inventory data for this series/);
    expect(pageErrors).toEqual([]);

    const plotted = await page.evaluate(() => {
      type DS = { label: string; data: (number | null)[] };
      const d = (
        globalThis as unknown as {
          warecastDashboard: {
            charts: Record<string, { data: { labels: string[]; datasets: DS[] }; canvas: Canvas }>;
          };
        }
      ).warecastDashboard;
      const pick = (chart: string, label: string) =>
        d.charts[chart].data.datasets.find((x) => x.label === label)!.data;
      const canvas = d.charts.demand.canvas;
      const doc = (globalThis as unknown as { document: { createElement(tag: "canvas"): Canvas } }).document;
      const blank = doc.createElement("canvas");
      blank.width = canvas.width;
      blank.height = canvas.height;
      return {
        labels: d.charts.demand.data.labels,
        units: pick("demand", "Units sold"),
        mean: pick("demand", "Forecast mean"),
        p10: pick("demand", "P10"),
        p90: pick("demand", "P10–P90"),
        reorder: pick("stock", "Reorder point"),
        drawn: canvas.width > 0 && canvas.toDataURL() !== blank.toDataURL(),
      };
    });
    expect(plotted.drawn).toBe(true);

    // What the API says for the same SKU with the page's defaults (7 + 7 days, 95 %; no inventory data, so on hand 0).
    const fc = (await api("GET", `/v1/forecasts/${WAREHOUSE}/B3_1?horizon=28`)).body.forecasts[0];
    const hist = (await api("GET", `/v1/series/${WAREHOUSE}/B3_1/history?days=120`)).body.days;
    const rec = (
      await api("POST", "/v1/recommendations", {
        items: [
          {
            warehouse_id: WAREHOUSE,
            sku: "B3_1",
            lead_time_days: 7,
            review_period_days: 7,
            service_level: 0.95,
            on_hand: 0,
          },
        ],
      })
    ).body.recommendations[0];
    const n = hist.length;
    expect(plotted.labels).toEqual([
      ...hist.map((h: { date: string }) => h.date),
      ...fc.points.map((p: { date: string }) => p.date),
    ]);
    expect(plotted.units.slice(0, n)).toEqual(
      hist.map((h: { units: number; closed: boolean }) => (h.closed ? null : h.units)),
    );
    expect(plotted.units.slice(0, n).filter((u) => u !== null && u > 0).length).toBeGreaterThan(10);
    expect(plotted.mean.slice(n)).toEqual(fc.points.map((p: { mean: number }) => p.mean));
    expect(plotted.p10.slice(n)).toEqual(
      fc.points.map((p: { quantiles: Record<string, number> }) => p.quantiles["0.1"]),
    );
    expect(plotted.p90.slice(n)).toEqual(
      fc.points.map((p: { quantiles: Record<string, number> }) => p.quantiles["0.9"]),
    );
    expect(new Set(plotted.reorder)).toEqual(new Set([rec.reorder_point]));
    expect(await page.textContent("#kpi-rop")).toBe(
      rec.reorder_point.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    );
    // The backtest and risk panels show the model's own table and every series.
    expect(await page.locator("#backtest-table tbody tr").count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator("#risk-table tbody tr").count()).toBe(SKUS.length);
  });
});
