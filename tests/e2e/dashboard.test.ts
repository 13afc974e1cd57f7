/**
 * The dashboard as a demand planner uses it, in headless Chromium, at 10,000 series: the page served as
 * `warecast serve` serves it (the local API server with the dashboard's routes in front), the real predict handler
 * behind it on series_state Parquet, and a fake model endpoint (tests/functions/predict-support.ts) so no model
 * has to be trained. Checks: state in the URL (shareable, back/forward), the searchable picker, CSV export, the
 * selected series' own backtest errors and method, the what-if on the selected series only, the health pill's
 * data age, and a 420 px layout without horizontal overflow. Screenshots: test-artifacts/dashboard/.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { dashboardHandler } from "../../cli/demo/dashboard";
import { DashboardLogin } from "../../cli/demo/dashboard-login";
import { startLocalApi, type LocalApi } from "../../cli/local-api/server";
import { MemoryServedForecastLog } from "../../functions/predict/served-log";
import { ARTIFACTS_DIR, launchBrowser } from "../support/browser";
import {
  FakeEndpoint,
  quietObservability,
  replayScores,
  replaySettings,
  writeSeriesState,
  type SeriesFixture,
} from "../functions/predict-support";

jest.setTimeout(10 * 60_000);

const SHOTS = path.join(ARTIFACTS_DIR, "dashboard");
const WAREHOUSES = 20;
const SKUS_PER_WAREHOUSE = 500; // 10,000 series
const DAYS = 60;
const LAST_DATE = "2026-11-30";
/** The page's "today" (the browser clock is fixed): four days after the last event. */
const TODAY = new Date("2026-12-04T09:00:00Z");
const VERSION = "2026-11-30T05-00-00Z-test";

const wh = (w: number) => `WH-${String(w).padStart(2, "0")}`;
const sku = (i: number) => `SKU-${String(i).padStart(5, "0")}`;

/** 10,000 series; every 7th without an inventory snapshot; some intermittent. */
function series(): SeriesFixture[] {
  const out: SeriesFixture[] = [];
  for (let w = 0; w < WAREHOUSES; w++)
    for (let i = 0; i < SKUS_PER_WAREHOUSE; i++) {
      const n = w * SKUS_PER_WAREHOUSE + i;
      const level = 2 + (n % 23);
      out.push({
        warehouse_id: wh(w),
        sku: sku(i),
        start_date: "2026-10-02", // DAYS days up to LAST_DATE
        units: Array.from({ length: DAYS }, (_, d) =>
          n % 11 === 0 ? (d % 9 === 0 ? 4 : 0) : level + (d % 7),
        ),
        on_hand: n % 7 === 0 ? null : 10 + (n % 40),
      });
    }
  return out;
}

/**
 * metrics.json's inventory-policy backtest (model/inventory.py). Per-series rows for the third warehouse only:
 * 500 series keep the file small, and the others show the page's "not in the replay" answer.
 */
function inventoryJson(rows: SeriesFixture[]) {
  const replayed = rows.filter((r) => r.warehouse_id === wh(2)).map((r) => `${r.warehouse_id}/${r.sku}`);
  const perSeries = (f: (i: number) => ReturnType<typeof replayScores>) =>
    Object.fromEntries(replayed.map((id, i) => [id, f(i)]));
  return {
    settings: replaySettings("2026-08-11", "2026-11-30", replayed.length),
    policies: {
      model: {
        pooled: replayScores(0.9541, 0.9571, 4794.7, 191),
        series: perSeries((i) => replayScores(0.96, 0.9333, 20 + (i % 5), 2)),
        curve: [],
      },
      seasonal_naive: {
        pooled: replayScores(0.976, 0.9791, 13981.5, 83),
        series: perSeries(() => replayScores(0.99, 1.0, 61.5, 0)),
        curve: [],
      },
      weeks_of_cover: {
        pooled: replayScores(0.9537, 0.9768, 15514.4, 141),
        series: perSeries(() => replayScores(0.95, 0.9667, 70, 3)),
        curve: [],
        cover_days: 40,
      },
    },
    goal: {
      met: false,
      checks: {
        csl_within_3_points: { met: true },
        vs_seasonal_naive: { met: false },
        vs_weeks_of_cover: { met: false },
      },
    },
    matched: {
      cycle_service_level: [
        { service: 0.95, avg_on_hand: { model: 4422.5, seasonal_naive: 9534.6, weeks_of_cover: 9706.2 } },
      ],
      fill_rate: [
        { service: 0.95, avg_on_hand: { model: 4515.8, seasonal_naive: 9800.2, weeks_of_cover: null } },
      ],
      goal: { met: true, checks: { cycle_service_level_vs_seasonal_naive: { met: true } } },
    },
  };
}

/** metrics.json as model/train.py writes it, with per-series errors for every series but the last warehouse's. */
function metricsJson(rows: SeriesFixture[]) {
  const scored = rows.filter((r) => r.warehouse_id !== wh(WAREHOUSES - 1));
  const col = (f: (i: number) => number | null) => scored.map((_, i) => f(i));
  return {
    model_version: VERSION,
    model_kind: "global-gbm",
    primary_metric: "rmsse",
    setup: { freq: "D", horizon: 28, origins: 2, series: rows.length, refit: "first", season: 7 },
    metrics: {
      model: { mase: 0.7, rmsse: 0.66, wape: 0.65, bias: -0.03, pinball: 0.21, coverage_80: 0.8, points: 99 },
      seasonal_naive: { mase: 1.0, rmsse: 0.9, wape: 0.88, bias: 0.01, pinball: null, coverage_80: null },
    },
    inventory: inventoryJson(rows),
    series_metrics: {
      ids: scored.map((r) => `${r.warehouse_id}/${r.sku}`),
      method: scored.map((_, i) => (i % 11 === 0 ? "intermittent" : "global-gbm")),
      metrics: {
        model: {
          mase: col((i) => 0.5 + (i % 10) / 100),
          rmsse: col((i) => 0.4 + (i % 10) / 100),
          wape: col(() => 0.3),
          bias: col(() => -0.05),
          points: col(() => 56),
        },
        seasonal_naive: {
          mase: col(() => 1.2),
          rmsse: col(() => 1.1),
          wape: col(() => 0.9),
          bias: col(() => null),
          points: col(() => 56),
        },
      },
    },
  };
}

let root: string;
let local: LocalApi;
let browser: Browser;
let page: Page;
/** Every POST /v1/recommendations body the page sent. */
const recommendationCalls: { items: Record<string, unknown>[] }[] = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-dashboard-"));
  const rows = series();
  writeSeriesState(path.join(root, "processed"), rows);
  const runs = path.join(root, "processed", "runs");
  fs.mkdirSync(runs, { recursive: true });
  fs.writeFileSync(
    path.join(runs, "run-1.json"),
    JSON.stringify({ run_id: "run-1", finished_at: new Date().toISOString() }),
  );
  const modelDir = path.join(root, "artifacts", "runs", VERSION, "model");
  fs.mkdirSync(modelDir, { recursive: true });
  fs.writeFileSync(path.join(modelDir, "metrics.json"), JSON.stringify(metricsJson(rows)));
  const endpoint = new FakeEndpoint();
  endpoint.modelVersion = VERSION;
  let apiKey = "";
  let login: DashboardLogin | undefined;
  const dashboard = (
    req: Parameters<ReturnType<typeof dashboardHandler>>[0],
    res: Parameters<ReturnType<typeof dashboardHandler>>[1],
  ) => {
    login ??= new DashboardLogin(apiKey);
    return dashboardHandler({ apiBase: "", apiKey }, login)(req, res);
  };
  local = await startLocalApi({
    workspace: root,
    port: 0,
    endpoint,
    servedLog: new MemoryServedForecastLog(),
    obs: quietObservability(),
    extraHandler: dashboard,
  });
  apiKey = local.apiKey;
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await local?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

interface Dashboard {
  ready: boolean;
  panelsReady: boolean;
  selected?: { warehouse_id: string; sku: string };
  forecast?: { warehouse_id: string; sku: string; points: { date: string; mean: number }[] };
  recommendation?: { warehouse_id: string; sku: string; inputs: { on_hand: number; lead_time_days: number } };
  seriesModel?: {
    method?: string;
    scores?: { method: string; rmsse: number | null }[];
    backtest_detail?: string;
    inventory?: unknown;
    inventory_detail?: string;
  };
  inventory?: unknown;
  risks?: { warehouse_id: string; sku: string; inputs: { on_hand: number; lead_time_days: number } }[];
  exported?: string;
}

const dash = (p: Page) =>
  p.evaluate(() => (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard);

/** Waits until the page shows `sku` of `warehouse` with its advice. */
async function shows(p: Page, warehouse: string, s: string): Promise<void> {
  await p.waitForFunction(
    ([w, k]) => {
      const d = (globalThis as unknown as { warecastDashboard?: Dashboard }).warecastDashboard;
      return (
        d?.forecast?.warehouse_id === w &&
        d.forecast?.sku === k &&
        d.recommendation?.sku === k &&
        d.recommendation?.warehouse_id === w &&
        !(
          globalThis as unknown as { document: { body: { classList: { contains(c: string): boolean } } } }
        ).document.body.classList.contains("loading")
      );
    },
    [warehouse, s],
  );
}

async function openPage(query = "", width = 1440): Promise<Page> {
  const p = await browser.newPage({ viewport: { width, height: 1300 }, acceptDownloads: true });
  p.setDefaultTimeout(120_000);
  await p.clock.setFixedTime(TODAY);
  const errors: string[] = [];
  p.on("pageerror", (e) => errors.push(e.message));
  p.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/v1/recommendations"))
      recommendationCalls.push(JSON.parse(r.postData() ?? "{}"));
  });
  (p as unknown as { errors: string[] }).errors = errors;
  // Each page is a new browser context: it logs in with the key, as a second browser would (tests/cli/dashboard
  // tests the login itself).
  const loggedIn = await p.request.post(`${local.url}/login`, { form: { key: local.apiKey } });
  expect(loggedIn.ok()).toBe(true);
  await p.goto(`${local.url}/${query}`);
  await p.waitForFunction(
    () =>
      (globalThis as unknown as { warecastDashboard?: Dashboard }).warecastDashboard?.panelsReady === true,
  );
  return p;
}

const pageErrors = (p: Page) => (p as unknown as { errors: string[] }).errors;

/** Loads a view in an open page and waits for every panel (the risk table asks about all 10,000 series). */
async function go(p: Page, query: string): Promise<void> {
  await p.goto(`${local.url}/${query}`);
  await p.waitForFunction(
    () =>
      (globalThis as unknown as { warecastDashboard?: Dashboard }).warecastDashboard?.panelsReady === true,
  );
}

describe("dashboard at 10,000 series", () => {
  beforeAll(async () => {
    page = await openPage();
  });

  afterAll(async () => {
    await page?.close();
  });

  it("opens on the first series and puts it in the URL; the health pill says the data is 4 days old", async () => {
    await shows(page, wh(0), sku(0));
    expect(new URL(page.url()).search).toBe(`?warehouse=${wh(0)}&sku=${sku(0)}`);
    expect(await page.textContent("#series-count")).toBe("10000 series · 20 warehouse(s)");
    // The API says ok (ETL ran just now), but the newest event is 2026-11-30: four days before the page's today.
    expect(await page.textContent("#health-pill")).toBe("degraded");
    expect(await page.getAttribute("#health-pill", "class")).toContain("warn");
    expect(await page.getAttribute("#health-pill", "title")).toContain(
      `newest data ${LAST_DATE}, 4 days old`,
    );
    expect(await page.textContent("#data-pill")).toMatch(
      new RegExp(`^data to ${LAST_DATE} \\(4 d old\\) · ETL `),
    );
    await page.screenshot({ path: path.join(SHOTS, "initial.png"), fullPage: true });
    expect(pageErrors(page)).toEqual([]);
  });

  it("finds a series among 10,000 by typing, with the DOM holding only the first 50 matches", async () => {
    await page.click("#series-search");
    expect(await page.locator("#series-options [role=option]").count()).toBe(50);
    expect(await page.textContent("#series-options .more")).toBe("10,000 match: showing 50, type to narrow.");
    await page.fill("#series-search", "sku-0421");
    // 500 SKUs per warehouse: no SKU-0421x exists, and "SKU-00421" does not contain "sku-0421".
    expect(await page.locator("#series-options [role=option]").count()).toBe(0);
    expect(await page.textContent("#series-options .more")).toBe("No series matches.");
    await page.fill("#series-search", "00421 wh-13");
    expect(await page.locator("#series-options [role=option]").allTextContents()).toEqual([
      `${sku(421)} · ${wh(13)}`,
    ]);
    await page.screenshot({ path: path.join(SHOTS, "picker-search.png") });
    await page.keyboard.press("Enter");
    await shows(page, wh(13), sku(421));
    expect(new URL(page.url()).searchParams.get("warehouse")).toBe(wh(13));
    expect(new URL(page.url()).searchParams.get("sku")).toBe(sku(421));
    expect(await page.inputValue("#series-search")).toBe(`${sku(421)} · ${wh(13)}`);

    // Keyboard only: a prefix, arrow down to the second match, Enter.
    await page.fill("#series-search", "sku-0012");
    const listed = await page.locator("#series-options [role=option]").allTextContents();
    expect(listed.length).toBe(50);
    expect(listed.every((t) => t.startsWith("SKU-0012"))).toBe(true);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    const [second, secondWh] = listed[1].split(" · ");
    await shows(page, secondWh, second);
  });

  it("back and forward walk the picked series; a shared link opens the same view", async () => {
    const before = await dash(page);
    await page.goBack();
    await shows(page, wh(13), sku(421));
    await page.goForward();
    await shows(page, before.selected!.warehouse_id, before.selected!.sku);
    await page.goBack();
    await page.goBack();
    await shows(page, wh(0), sku(0));

    const shared = await openPage(`?warehouse=${wh(7)}&sku=${sku(250)}&lead_time=12&on_hand=5`);
    await shows(shared, wh(7), sku(250));
    expect(await shared.inputValue("#lead-time")).toBe("12");
    expect(await shared.inputValue("#on-hand")).toBe("5");
    const d = await dash(shared);
    expect(d.recommendation!.inputs).toMatchObject({ lead_time_days: 12, on_hand: 5 });
    await shared.screenshot({ path: path.join(SHOTS, "shared-link.png"), fullPage: true });
    expect(pageErrors(shared)).toEqual([]);
    await shared.close();

    const broken = await openPage(`?warehouse=${wh(7)}&sku=NOPE`);
    await shows(broken, wh(0), sku(0));
    await broken.waitForSelector("#error:not([hidden])");
    expect(await broken.textContent("#error")).toBe(
      `No series NOPE in warehouse ${wh(7)}; showing ${sku(0)}.`,
    );
    await broken.close();
  });

  it("shows the series' own backtest errors and method beside the pooled table", async () => {
    await go(page, `?warehouse=${wh(2)}&sku=${sku(11)}`);
    await shows(page, wh(2), sku(11));
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.seriesModel?.scores !==
        undefined,
    );
    // Series index 2*500+11 = 1011 in the per-series columns: 1011 % 11 == 10, so the global model; rmsse 0.4 + 1/100.
    const rows = await page.locator("#series-backtest-table tbody tr").allTextContents();
    expect(rows).toEqual(["Warecast model0.5100.41030.0 %-5.0 %", "Seasonal naive1.2001.10090.0 %–"]);
    expect(await page.textContent("#series-backtest-note")).toBe(
      "forecast by the global model in the backtest",
    );
    expect(await page.textContent("#series-backtest-title")).toBe(`This series: ${sku(11)} · ${wh(2)}`);
    // The pooled table is still there, beside it.
    expect(await page.locator("#backtest-table tbody tr").count()).toBe(2);

    await go(page, `?warehouse=${wh(0)}&sku=${sku(0)}`);
    await shows(page, wh(0), sku(0));
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.seriesModel?.method ===
        "intermittent",
    );
    expect(await page.textContent("#series-backtest-note")).toBe(
      "forecast by the intermittent-demand fallback in the backtest",
    );
    await page.locator("#backtest-card").screenshot({ path: path.join(SHOTS, "series-backtest.png") });

    // The last warehouse was not in the backtest: the panel says so instead of showing numbers.
    await go(page, `?warehouse=${wh(19)}&sku=${sku(3)}`);
    await shows(page, wh(19), sku(3));
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.seriesModel
          ?.backtest_detail !== undefined,
    );
    expect(await page.textContent("#series-backtest-table tbody")).toBe(
      "No per-series backtest: this series was not in the model's backtest (new since the model was trained).",
    );
  });

  it("shows the inventory-policy replay pooled and for the selected series", async () => {
    await go(page, `?warehouse=${wh(2)}&sku=${sku(11)}`);
    await shows(page, wh(2), sku(11));
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.seriesModel
          ?.inventory !== undefined,
    );
    expect(await page.isVisible("#inventory-policy-card")).toBe(true);
    expect(await page.locator("#inventory-pooled-table tbody tr").allTextContents()).toEqual([
      "Reorder advice (model)95.4 %95.7 %4,795191",
      "Seasonal naive, same rule97.6 %97.9 %13,98283",
      "Weeks of cover95.4 %97.7 %15,514141",
    ]);
    expect(await page.textContent("#inventory-pooled-note")).toBe(
      "2026-08-11 to 2026-11-30 · 7 d lead, 7 d review, target 95 % cycle service",
    );
    expect(await page.textContent("#inventory-matched")).toBe(
      "For the same achieved 95 % cycle service level, the advice holds 4,423 units on average; " +
        "Seasonal naive, same rule 9,535 (+116 %); Weeks of cover 9,706 (+119 %).",
    );
    expect(await page.textContent("#inventory-goal")).toBe(
      "Goal at the same target: not met; at matched service: met (docs/replenishment.md).",
    );
    // The series' own replay: index 11 of the third warehouse, so 20 + 11 % 5 = 21 units on hand on average.
    expect(await page.textContent("#inventory-series-title")).toBe(`This series: ${sku(11)} · ${wh(2)}`);
    expect(await page.locator("#inventory-series-table tbody tr").allTextContents()).toEqual([
      "Reorder advice (model)96.0 %93.3 %212",
      "Seasonal naive, same rule99.0 %100.0 %620",
      "Weeks of cover95.0 %96.7 %703",
    ]);
    await page
      .locator("#inventory-policy-card")
      .screenshot({ path: path.join(SHOTS, "inventory-policy.png") });

    // A series outside the replay: the pooled table stays, the series' table says why it has no numbers.
    await go(page, `?warehouse=${wh(0)}&sku=${sku(0)}`);
    await shows(page, wh(0), sku(0));
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.seriesModel
          ?.inventory_detail !== undefined,
    );
    expect(await page.textContent("#inventory-series-table tbody")).toBe(
      "No inventory backtest: this series was not in the model's inventory backtest (new since the model was trained).",
    );
    expect(await page.locator("#inventory-pooled-table tbody tr").count()).toBe(3);
  });

  it("applies the what-if to the selected series only and redraws as the inputs change", async () => {
    await go(page, `?warehouse=${wh(1)}&sku=${sku(5)}`);
    await shows(page, wh(1), sku(5));
    const risksBefore = (await dash(page)).risks!;
    const orderBefore = await page.textContent("#kpi-order");
    recommendationCalls.length = 0;

    await page.fill("#on-hand", "0");
    await page.fill("#lead-time", "21");
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard;
      return d.recommendation?.inputs.lead_time_days === 21 && d.recommendation.inputs.on_hand === 0;
    });
    // No button pressed: the advice followed the inputs. Each request after the edits named only this series.
    expect(recommendationCalls.length).toBeGreaterThan(0);
    for (const call of recommendationCalls)
      expect(call.items.map((i) => `${i.warehouse_id}/${i.sku}`)).toEqual([`${wh(1)}/${sku(5)}`]);
    expect(await page.textContent("#kpi-order")).not.toBe(orderBefore);
    expect(new URL(page.url()).searchParams.get("lead_time")).toBe("21");
    expect(new URL(page.url()).searchParams.get("on_hand")).toBe("0");
    // The risk table still ranks every series at the standard settings, none with the what-if's on hand.
    const risksAfter = (await dash(page)).risks!;
    expect(risksAfter).toEqual(risksBefore);
    expect(risksAfter).toHaveLength(SKUS_PER_WAREHOUSE); // the warehouse in view, every one of its series
    expect(risksAfter.every((r) => r.inputs.lead_time_days === 7)).toBe(true);
    expect(await page.textContent("#risk-note")).toContain("the what-if changes only the selected series");
    await page.screenshot({ path: path.join(SHOTS, "what-if.png"), fullPage: true });

    // An emptied or out-of-range box is named, and nothing is asked with a made-up value.
    const asked = recommendationCalls.length;
    await page.fill("#lead-time", "");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toMatch(/^Lead time \(days\): \S/);
    await page.fill("#lead-time", "400");
    await page.waitForFunction(() =>
      /^Lead time \(days\): .*365/.test(
        (
          globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }
        ).document.getElementById("error").textContent,
      ),
    );
    expect(recommendationCalls.length).toBe(asked);

    await page.click("#reset-what-if");
    await page.waitForSelector("#error", { state: "hidden" });
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.recommendation?.inputs
          .lead_time_days === 7,
    );
    expect(new URL(page.url()).search).toBe(`?warehouse=${wh(1)}&sku=${sku(5)}`);
    expect(pageErrors(page)).toEqual([]);
  });

  it("exports the shown forecast and advice as CSV", async () => {
    await page.fill("#on-hand", "12");
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.recommendation?.inputs
          .on_hand === 12,
    );
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^warecast-${wh(1)}-${sku(5)}-\\d{4}-\\d{2}-\\d{2}\\.csv$`),
    );
    const file = path.join(SHOTS, download.suggestedFilename());
    await download.saveAs(file);
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\r\n");
    const head = lines[0].split(",");
    expect(head.slice(0, 7)).toEqual([
      "warehouse_id",
      "sku",
      "model_version",
      "method",
      "date",
      "step",
      "mean",
    ]);
    expect(head).toEqual(
      expect.arrayContaining(["p10", "p50", "p90", "suggested_order_quantity", "reorder_point"]),
    );
    const d = await dash(page);
    expect(lines).toHaveLength(1 + d.forecast!.points.length);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(",").map((v, i) => [head[i], v])));
    expect(rows.map((r) => r.date)).toEqual(d.forecast!.points.map((p) => p.date));
    expect(rows.map((r) => Number(r.mean))).toEqual(d.forecast!.points.map((p) => p.mean));
    const rec = d.recommendation as unknown as Record<string, number>;
    for (const r of rows) {
      expect(r).toMatchObject({ warehouse_id: wh(1), sku: sku(5), model_version: VERSION, on_hand: "12" });
      expect(r.on_hand_source).toBe("entered");
      expect(Number(r.suggested_order_quantity)).toBe(rec.suggested_order_quantity);
      expect(Number(r.reorder_point)).toBe(rec.reorder_point);
      expect(Number(r.lead_time_days)).toBe(7);
    }
  });
});

describe("dashboard: the warehouse box", () => {
  it("shows that warehouse's first series and ranks that warehouse's risks", async () => {
    const p = await openPage(`?warehouse=${wh(1)}&sku=${sku(5)}`);
    await shows(p, wh(1), sku(5));
    await p.selectOption("#warehouse", wh(4));
    await shows(p, wh(4), sku(0));
    expect(new URL(p.url()).search).toBe(`?warehouse=${wh(4)}&sku=${sku(0)}`);
    await p.waitForFunction(
      (w) =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.risks?.every(
          (r) => r.warehouse_id === w,
        ) === true,
      wh(4),
    );
    expect((await dash(p)).risks).toHaveLength(SKUS_PER_WAREHOUSE);
    expect(await p.textContent("#risk-title")).toBe(`Top stockout risks in ${wh(4)}`);

    // "All warehouses": the ranking covers the whole catalogue (100 requests of 100, a few in flight at once),
    // the series stays.
    let inFlight = 0;
    let mostInFlight = 0;
    let pages = 0;
    const isPage = (r: import("playwright-core").Request) =>
      r.method() === "POST" &&
      r.url().endsWith("/v1/recommendations") &&
      (r.postDataJSON() as { items: unknown[] }).items.length > 1;
    p.on("request", (r) => {
      if (!isPage(r)) return;
      pages++;
      mostInFlight = Math.max(mostInFlight, ++inFlight);
    });
    const settled = (r: import("playwright-core").Request) => isPage(r) && inFlight--;
    p.on("requestfinished", settled);
    p.on("requestfailed", settled);
    await p.selectOption("#warehouse", "");
    await p.waitForFunction(
      (n) =>
        (globalThis as unknown as { warecastDashboard: Dashboard }).warecastDashboard.risks?.length === n,
      WAREHOUSES * SKUS_PER_WAREHOUSE,
    );
    expect(pages).toBe((WAREHOUSES * SKUS_PER_WAREHOUSE) / 100);
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(4);
    expect(await p.textContent("#risk-title")).toBe("Top stockout risks");
    expect(new URL(p.url()).search).toBe(`?warehouse=${wh(4)}&sku=${sku(0)}`);
    expect(pageErrors(p)).toEqual([]);
    await p.close();
  });
});

describe("dashboard at 420 px", () => {
  it("fits the width: nothing overflows sideways, wide tables scroll inside their card", async () => {
    const narrow = await openPage(`?warehouse=${wh(3)}&sku=${sku(9)}`, 420);
    await shows(narrow, wh(3), sku(9));
    const overflow = await narrow.evaluate(() => {
      const doc = (
        globalThis as unknown as {
          document: { documentElement: { scrollWidth: number; clientWidth: number } };
        }
      ).document;
      return { scroll: doc.documentElement.scrollWidth, client: doc.documentElement.clientWidth };
    });
    expect(overflow.client).toBeLessThanOrEqual(420);
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
    // Every control is inside the viewport.
    for (const sel of [
      "#series-search",
      "#warehouse",
      "#lead-time",
      "#on-hand",
      "#export-csv",
      "#health-pill",
    ]) {
      const box = (await narrow.locator(sel).boundingBox())!;
      expect({ sel, right: box.x + box.width <= 420, left: box.x >= 0 }).toEqual({
        sel,
        right: true,
        left: true,
      });
    }
    await narrow.screenshot({ path: path.join(SHOTS, "narrow-420.png"), fullPage: true });
    await narrow.click("#series-search");
    await narrow.screenshot({ path: path.join(SHOTS, "narrow-420-picker.png") });
    expect(pageErrors(narrow)).toEqual([]);
    await narrow.close();
  });
});
