import * as fs from "node:fs";
import * as path from "node:path";
/** The spec itself: every example validates against its schema, every operation is implemented, refs resolve. */
import { createApiAjv } from "../../functions/predict/ajv";
import { ApiSchemas, HTTP_METHODS, routesOf, withRequestLimits } from "../../functions/predict/spec";
import { spec } from "../functions/predict-support";

const schemas = new ApiSchemas(spec, createApiAjv());

type Media = { schema?: object; examples?: Record<string, { $ref?: string; value?: unknown }> };

function deref<T>(obj: T & { $ref?: string }): T {
  if (!obj.$ref) return obj;
  let node: unknown = spec;
  for (const p of obj.$ref.replace(/^#\//, "").split("/")) node = (node as Record<string, unknown>)[p];
  if (node === undefined) throw new Error(`unresolved ${obj.$ref}`);
  return node as T;
}

/** Every (place, schema, example value) pair in the document. */
function examples(): [string, object, unknown][] {
  const out: [string, object, unknown][] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as
        | {
            requestBody?: { content: Record<string, Media> };
            responses: Record<string, { $ref?: string; content?: Record<string, Media> }>;
          }
        | undefined;
      if (!op) continue;
      const medias: [string, Media][] = [];
      for (const [ct, m] of Object.entries(op.requestBody?.content ?? {}))
        medias.push([`${method} ${path} request ${ct}`, m]);
      for (const [status, r] of Object.entries(op.responses)) {
        for (const [ct, m] of Object.entries(deref(r).content ?? {}))
          medias.push([`${method} ${path} ${status} ${ct}`, m]);
      }
      for (const [where, m] of medias) {
        for (const [name, ex] of Object.entries(m.examples ?? {}))
          out.push([`${where} example ${name}`, m.schema!, deref(ex).value]);
      }
    }
  }
  return out;
}

describe("docs/api.md", () => {
  it("shows only examples that are in the spec (copied, not retyped)", () => {
    const text = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "api.md"), "utf8");
    const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
    const known = Object.values(spec.components.examples as Record<string, { value: unknown }>).map(
      (e) => e.value,
    );
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const b of blocks) expect(known).toContainEqual(b);
  });
});

describe("api/openapi.yaml", () => {
  const all = examples();

  it("is OpenAPI 3.0 (API Gateway imports 3.0) and every route needs an API key", () => {
    expect(spec.openapi).toMatch(/^3\.0\.\d+$/);
    for (const item of Object.values(spec.paths)) {
      for (const method of HTTP_METHODS) {
        const op = item[method] as { security?: unknown } | undefined;
        if (op) expect(op.security).toEqual([{ api_key: [] }]);
      }
    }
  });

  it("has examples for every route", () => {
    const routes = routesOf(spec);
    expect(routes.map((r) => r.operationId)).toEqual(
      expect.arrayContaining([
        "createForecastJob",
        "createForecasts",
        "createRecommendations",
        "getForecast",
        "getForecastJob",
        "getHealth",
      ]),
    );
    expect(all.length).toBeGreaterThanOrEqual(12);
  });

  it.each(all.map(([where, schema, value]) => [where, schema, value]))(
    "%s validates",
    (_where, schema, value) => {
      expect(schemas.errorsForSchema(schema as object, value)).toEqual([]);
    },
  );

  it("rejects what it should, naming the field", () => {
    expect(
      schemas.errors("ForecastRequest", { series: [{ warehouse_id: "WH 1", sku: "S" }] }, "/body"),
    ).toEqual([
      { field: "/body/series/0/warehouse_id", message: 'must match pattern "^[A-Za-z0-9_.-]{1,64}$"' },
    ]);
    expect(
      schemas
        .errors("ForecastRequest", { series: [], extra: 1 }, "/body")
        .map((e) => e.field)
        .sort(),
    ).toEqual(["/body/extra", "/body/series"]);
    expect(
      schemas.errors("RecommendationItem", { warehouse_id: "W", sku: "S", pack_size: 0 }, "/body"),
    ).toEqual([{ field: "/body/pack_size", message: "must be >= 1" }]);
  });
});

describe("withRequestLimits", () => {
  it("gives a stack's copy of the spec its own array limits, leaving the document as written", () => {
    const stack = withRequestLimits(spec, { maxSeriesPerRequest: 250, maxSeriesPerJob: 5000 });
    const schemas250 = new ApiSchemas(stack, createApiAjv());
    const series = (n: number) => Array.from({ length: n }, () => ({ warehouse_id: "W", sku: "S" }));
    expect(schemas250.errors("ForecastRequest", { series: series(250) })).toEqual([]);
    expect(schemas250.errors("ForecastRequest", { series: series(251) })).toEqual([
      { field: "/series", message: "must NOT have more than 250 items" },
    ]);
    expect(schemas250.errors("ForecastJobRequest", { series: series(5001) })).toHaveLength(1);
    expect(schemas.errors("ForecastRequest", { series: series(101) })).toHaveLength(1);
    expect(schemas.errors("ForecastRequest", { series: series(100) })).toEqual([]);
  });
});
