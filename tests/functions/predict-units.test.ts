/** Pure pieces of the predict function: replenishment math, the endpoint client's retries, item master. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InvokeEndpointCommand } from "@aws-sdk/client-sagemaker-runtime";
import type { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import {
  daysOfCover,
  exceedanceProbability,
  orderQuantity,
  quantileAt,
  recommend,
  type DemandDistribution,
} from "../../functions/replenishment";
import { EndpointClient } from "../../functions/predict/endpoint-client";
import { toEndpointSeries } from "../../functions/predict/forecast-service";
import type { SeriesState } from "../../functions/predict/series-state";
import { parseItemMaster, ItemMasterReader } from "../../functions/predict/item-master";
import { storeModelMetrics } from "../../functions/predict/model-route";
import { ApiProblem } from "../../functions/predict/problem";
import { UNCHANGED } from "../../functions/predict/object-store";
import { FsObjectStore } from "../../cli/local-api/fs-object-store";
import { MemoryObjectStore } from "./predict-support";

describe("replenishment", () => {
  const window: DemandDistribution = {
    kind: "window_quantiles",
    mean: 50,
    quantiles: { "0.1": 38, "0.5": 50, "0.9": 62, "0.95": 66, "0.99": 74 },
  };

  it("reads the service-level quantile of the window, interpolating between levels", () => {
    expect(quantileAt(window, 0.95)).toBe(66);
    expect(quantileAt(window, 0.7)).toBeCloseTo(56);
    expect(quantileAt(window, 0.05)).toBe(38);
  });

  it("turns quantiles into exceedance probabilities, bounded by the grid's tail", () => {
    expect(exceedanceProbability(window, 50)).toBeCloseTo(0.5);
    expect(exceedanceProbability(window, 56)).toBeCloseTo(0.3);
    expect(exceedanceProbability(window, 1000)).toBeCloseTo(0.01);
    expect(exceedanceProbability(window, 0)).toBe(1);
    expect(exceedanceProbability(window, 19)).toBeCloseTo(0.95);
  });

  it("uses sample paths directly when they are given", () => {
    const samples: DemandDistribution = {
      kind: "sample_paths",
      mean: 5.5,
      totals: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    };
    expect(quantileAt(samples, 0.9)).toBe(9);
    expect(exceedanceProbability(samples, 7)).toBeCloseTo(0.3);
  });

  it("computes (R, S) advice: S from the window quantile, no review-period demand on top, MOQ and packs", () => {
    const daily = Array(28).fill(50 / 12);
    const advice = recommend(
      {
        lead_time_days: 5,
        review_period_days: 7,
        service_level: 0.95,
        on_hand: 20,
        on_order: 0,
        moq: 24,
        pack_size: 6,
      },
      window,
      daily,
    );
    // S = q95 of demand over L + R = 12 days = 66 (s = S); need 66 − 20 = 46 → packs of 6 → 48.
    expect(advice.order_up_to_level).toBe(66);
    expect(advice.reorder_point).toBe(66);
    expect(advice.suggested_order_quantity).toBe(48);
    expect(advice.safety_stock).toBe(16);
    // After the order IP = 68, between q95 = 66 and q99 = 74: 1 − (0.95 + 0.04 × 2/8) — about 1 − α, as targeted.
    expect(advice.stockout_risk).toBeCloseTo(0.04);
    // Below the lowest quantile the CDF is linear from P(D ≤ 0) = 0: 1 − 0.1 × 20/38.
    expect(advice.stockout_risk_without_order).toBeCloseTo(0.947, 3);
    expect(advice.days_of_cover).toBeCloseTo(4.8);
    // Adding daily quantiles would have given 12 × q95(daily) — not what the advice uses.
  });

  it("orders nothing above the reorder point, and never below the MOQ when it orders", () => {
    const daily = Array(28).fill(1);
    const none = recommend(
      {
        lead_time_days: 5,
        review_period_days: 7,
        service_level: 0.95,
        on_hand: 70,
        on_order: 0,
        moq: 0,
        pack_size: 1,
      },
      window,
      daily,
    );
    expect(none.suggested_order_quantity).toBe(0);
    expect(none.days_of_cover).toBe(28);
    expect(none.days_of_cover_capped).toBe(true);
    expect(orderQuantity(3, 24, 5)).toBe(25);
    expect(orderQuantity(0, 24, 5)).toBe(0);
    expect(daysOfCover(2.5, [1, 1, 1])).toEqual({ days: 2.5, capped: false });
  });
});

describe("EndpointClient", () => {
  function fakeRuntime(outcomes: (Error | object)[]) {
    const calls: { timeout?: AbortSignal }[] = [];
    const runtime = {
      send: async (cmd: InvokeEndpointCommand, opts: { abortSignal?: AbortSignal }) => {
        expect(cmd).toBeInstanceOf(InvokeEndpointCommand);
        calls.push({ timeout: opts.abortSignal });
        const next = outcomes.shift()!;
        if (next instanceof Error) throw next;
        return { Body: new TextEncoder().encode(JSON.stringify(next)) };
      },
    } as unknown as SageMakerRuntimeClient;
    return { runtime, calls };
  }
  const ok = {
    model_version: "v1",
    model_kind: "global-gbm",
    freq: "D",
    horizon: 1,
    quantiles: [0.5],
    series: [],
  };
  const named = (name: string, message = name) => Object.assign(new Error(message), { name });
  const request = { freq: "D" as const, horizon: 1, quantiles: [0.5], series: [] };
  const options = {
    endpointName: "ep",
    timeoutMs: 1000,
    maxAttempts: 3,
    budgetMs: 5000,
    retryAfterSeconds: 7,
  };

  it("retries transient failures with jittered back-off, then succeeds", async () => {
    const sleeps: number[] = [];
    const { runtime, calls } = fakeRuntime([
      named("ModelNotReadyException"),
      named("ThrottlingException"),
      ok,
    ]);
    const client = new EndpointClient(runtime, {
      ...options,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });
    const out = await client.invoke(request);
    expect(out.stats.attempts).toBe(3);
    expect(calls.every((c) => c.timeout instanceof AbortSignal)).toBe(true);
    expect(sleeps).toEqual([100, 200]);
  });

  it("gives up after the bounded attempts with a 503 and Retry-After", async () => {
    const { runtime } = fakeRuntime([
      named("TimeoutError"),
      named("TimeoutError"),
      named("TimeoutError"),
      ok,
    ]);
    const client = new EndpointClient(runtime, { ...options, sleep: async () => undefined });
    const err = await client.invoke(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiProblem);
    expect((err as ApiProblem).status).toBe(503);
    expect((err as ApiProblem).extra.retryAfterSeconds).toBe(7);
  });

  it("does not retry a missing endpoint (no model yet: 503) or a rejected request (502)", async () => {
    const missing = fakeRuntime([named("ValidationError", "Endpoint ep of account 1 not found."), ok]);
    const e1 = (await new EndpointClient(missing.runtime, options)
      .invoke(request)
      .catch((e: unknown) => e)) as ApiProblem;
    expect(e1.status).toBe(503);
    expect(missing.calls).toHaveLength(1);
    const rejected = fakeRuntime([Object.assign(named("ModelError"), { OriginalStatusCode: 400 }), ok]);
    const e2 = (await new EndpointClient(rejected.runtime, options)
      .invoke(request)
      .catch((e: unknown) => e)) as ApiProblem;
    expect(e2.status).toBe(502);
    expect(rejected.calls).toHaveLength(1);
  });

  it("stops retrying when the budget is spent", async () => {
    let now = 0;
    const { runtime, calls } = fakeRuntime([named("InternalFailure"), named("InternalFailure"), ok]);
    const client = new EndpointClient(runtime, {
      ...options,
      budgetMs: 1500,
      now: () => now,
      sleep: async (ms) => void (now += ms + 1000),
    });
    await expect(client.invoke(request)).rejects.toMatchObject({ kind: "unavailable" });
    expect(calls).toHaveLength(1);
  });
});

describe("item master", () => {
  it("parses defaults, reports bad cells with file and line, and lets exact rows win over *", async () => {
    const csv =
      "warehouse_id,sku,lead_time_days,moq,pack_size\n*,SKU-1,10,12,6\nWH1,SKU-1,3,,\nWH1,SKU-2,x,5,0\n";
    const parsed = parseItemMaster("item_master/items.csv", csv);
    expect(parsed.issues).toEqual([
      {
        file: "item_master/items.csv",
        line: 4,
        reason: 'lead_time_days must be an integer in [0, 180], got "x"',
      },
      {
        file: "item_master/items.csv",
        line: 4,
        reason: 'pack_size must be a number in [1, 9007199254740991], got "0"',
      },
    ]);
    const store = new MemoryObjectStore();
    await store.put("item_master/items.csv", csv);
    const reader = new ItemMasterReader(store);
    expect(await reader.defaultsFor("WH1", "SKU-1")).toEqual({ lead_time_days: 3, moq: 12, pack_size: 6 });
    expect(await reader.defaultsFor("WH2", "SKU-1")).toEqual({ lead_time_days: 10, moq: 12, pack_size: 6 });
    const gets = store.gets;
    await reader.defaultsFor("WH2", "SKU-2");
    expect(store.gets).toBe(gets); // cached while unchanged
  });
});

describe("storeModelMetrics", () => {
  it("parses a version's metrics.json once while its ETag is unchanged, again when the object changes", async () => {
    const store = new MemoryObjectStore();
    const source = storeModelMetrics(store, (v) =>
      v === "refused" ? undefined : `models/${v}/metrics.json`,
    );
    await store.put("models/v1/metrics.json", JSON.stringify({ setup: { horizon: 28 } }));
    expect(await source.metrics("v1")).toEqual({ setup: { horizon: 28 } });
    expect(await source.metrics("v1")).toEqual({ setup: { horizon: 28 } });
    expect(store.gets).toBe(1);
    expect(store.conditionalGets).toBe(1); // the second call: one If-None-Match, no listing
    await store.put("models/v1/metrics.json", JSON.stringify({ setup: { horizon: 14 } }));
    expect(await source.metrics("v1")).toEqual({ setup: { horizon: 14 } });
    expect(store.gets).toBe(2);
    store.objects.delete("models/v1/metrics.json");
    expect(await source.metrics("v1")).toBeUndefined();
    await store.put("models/v10/metrics.json", "{}");
    expect(await source.metrics("v1")).toBeUndefined(); // a longer key under the same prefix is another file
    expect(await source.metrics("refused")).toBeUndefined();
  });
});

describe("FsObjectStore.getIfChanged", () => {
  it("answers unchanged while size and mtime hold, the new bytes after a rewrite, undefined when gone", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wc-fs-store-"));
    try {
      const store = new FsObjectStore(dir);
      await store.put("m/metrics.json", "{}", "application/json");
      const first = (await store.get("m/metrics.json"))!;
      expect(await store.getIfChanged("m/metrics.json", first.etag)).toBe(UNCHANGED);
      // A rewrite of another size changes the ETag even within the filesystem's mtime resolution.
      await store.put("m/metrics.json", '{"a":1}', "application/json");
      const second = await store.getIfChanged("m/metrics.json", first.etag);
      expect(second).not.toBe(UNCHANGED);
      expect(new TextDecoder().decode((second as { body: Uint8Array }).body)).toBe('{"a":1}');
      fs.rmSync(path.join(dir, "m/metrics.json"));
      expect(await store.getIfChanged("m/metrics.json", first.etag)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("FsObjectStore.get", () => {
  it("returns the ETag of the bytes it read while another process replaces the file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wc-fs-store-"));
    const target = path.join(dir, "m", "metrics.json");
    fs.mkdirSync(path.dirname(target));
    // Another process renames files of sizes 1..7 into place as fast as it can, as a writer outside the API does.
    const writer = spawn(process.execPath, [
      "-e",
      `const fs = require("fs"); const t = process.argv[1];
       for (let i = 0; ; i += 1) { fs.writeFileSync(t + ".tmp", "x".repeat(1 + (i % 7))); fs.renameSync(t + ".tmp", t); }`,
      target,
    ]);
    try {
      const store = new FsObjectStore(dir);
      await store.put("m/metrics.json", "x", "application/json");
      let disagree = 0;
      for (let i = 0; i < 2000; i += 1) {
        const r = (await store.get("m/metrics.json"))!;
        // The ETag starts with the size: a body read from one file and a stat of the next would disagree.
        if (r.etag.split("-")[0] !== String(r.body.length)) disagree += 1;
      }
      expect(disagree).toBe(0);
    } finally {
      writer.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("toEndpointSeries", () => {
  const state = (flags: Partial<Pick<SeriesState, "stockout" | "closed">>): SeriesState => ({
    warehouse_id: "WH1",
    sku: "SKU-1",
    freq: "D",
    start_date: "2018-01-01",
    end_date: "2018-01-04",
    units: [1, 2, null, 4],
    promo: [false, false, false, false],
    price: [1, 1, null, 1],
    stockout: [false, false, false, false],
    closed: [false, false, false, false],
    on_hand: null,
    run_id: null,
    ...flags,
  });

  it("sends stockout and closed days only when some day is flagged (the endpoint reads none as unflagged)", () => {
    const quiet = toEndpointSeries(state({ closed: [false, null, null, false] }), undefined).history;
    expect(quiet).toEqual({
      start: "2018-01-01",
      units: [1, 2, null, 4],
      promo: [false, false, false, false],
      price: [1, 1, null, 1],
    });
    expect(JSON.stringify(quiet)).not.toMatch(/stockout|closed/);
    const flagged = toEndpointSeries(
      state({ stockout: [false, true, null, false], closed: [false, false, true, false] }),
      undefined,
    ).history;
    expect(flagged.stockout).toEqual([false, true, null, false]);
    expect(flagged.closed).toEqual([false, false, true, false]);
  });
});
