/**
 * The endpoint contract (schemas/endpoint.schema.json) on the TypeScript side: the generated types are what the
 * generator makes of the schema today, and every answer the handlers read has passed the schema.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createEndpointAjv } from "../../functions/predict/ajv";
import { CheckedEndpoint } from "../../functions/predict/endpoint-check";
import type { EndpointRequest, ForecastEndpoint } from "../../functions/predict/endpoint-client";
import { ApiProblem } from "../../functions/predict/problem";
import { fakeForecast } from "../functions/predict-support";

describe("generated endpoint types", () => {
  // A process of its own: Prettier (which the generator formats with) loads through dynamic imports jest lacks.
  it("are what scripts/endpoint-types.ts makes of the schema (run it after changing the schema)", () => {
    const root = path.join(__dirname, "..", "..");
    const fresh = execFileSync(
      path.join(root, "node_modules", ".bin", "tsx"),
      [path.join(root, "scripts", "endpoint-types.ts"), "--stdout"],
      { encoding: "utf8" },
    );
    expect(fs.readFileSync(path.join(root, "functions", "predict", "endpoint-contract.ts"), "utf8")).toBe(
      fresh,
    );
  });
});

describe("CheckedEndpoint", () => {
  const request: EndpointRequest = {
    freq: "D",
    horizon: 3,
    quantiles: [0.1, 0.5, 0.9],
    windows: [{ name: "lt", start: 1, end: 2 }],
    series: [{ id: "WH1/SKU-1", history: { start: "2018-01-01", units: [3, 0, 5, null] } }],
  };
  const answering = (response: unknown): ForecastEndpoint => ({
    invoke: async () => ({ response: response as never, stats: { attempts: 1, elapsedMs: 1 } }),
  });
  const valid = fakeForecast(request, "v1", "global-gbm");

  it("passes an answer that follows the schema through unchanged", async () => {
    const out = await new CheckedEndpoint(answering(valid), createEndpointAjv()).invoke(request);
    expect(out.response).toBe(valid);
    expect(out.stats.attempts).toBe(1);
  });

  it.each([
    [
      "a negative mean",
      {
        ...valid,
        series: [{ ...valid.series[0], forecast: [{ ...valid.series[0].forecast[0], mean: -1 }] }],
      },
      "/series/0/forecast/0/mean must be >= 0",
    ],
    [
      "an unknown model kind",
      { ...valid, model_kind: "mystery" },
      "/model_kind must be equal to one of the allowed values",
    ],
    [
      "a missing model version",
      { ...valid, model_version: undefined },
      "(root) must have required property 'model_version'",
    ],
    [
      "a field the contract does not have",
      { ...valid, extra: 1 },
      "(root) must NOT have additional properties",
    ],
    [
      "a bad date",
      {
        ...valid,
        series: [{ ...valid.series[0], forecast: [{ ...valid.series[0].forecast[0], date: "2018-02-30" }] }],
      },
      '/series/0/forecast/0/date must match format "date"',
    ],
    ["not an object", "OK", "(root) must be object"],
  ])("answers 502 for %s, naming the field", async (_label, response, detail) => {
    const err = await new CheckedEndpoint(
      answering(JSON.parse(JSON.stringify(response))),
      createEndpointAjv(),
    )
      .invoke(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiProblem);
    expect((err as ApiProblem).status).toBe(502);
    expect((err as ApiProblem).detail).toBe(
      `The forecast endpoint's answer does not follow its contract (${detail}).`,
    );
  });

  it("shares one ajv between endpoints (the schema is added once)", () => {
    const ajv = createEndpointAjv();
    new CheckedEndpoint(answering(valid), ajv);
    expect(() => new CheckedEndpoint(answering(valid), ajv)).not.toThrow();
  });
});
