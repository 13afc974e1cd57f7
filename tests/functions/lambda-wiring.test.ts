/** The one way every Lambda reads its settings and its events (functions/lambda-wiring.ts). */
import { z } from "zod";
import {
  parseEvent,
  parseJsonEvent,
  parseSettings,
  recordRejected,
  settingsFromEnv,
} from "../../functions/lambda-wiring";
import { quietObservability } from "./model-fakes";

const schema = () => z.object({ bucket: z.string().min(3), minutes: z.number().int().min(0).optional() });

describe("settings", () => {
  it("parses the variable's JSON with the schema", () => {
    expect(parseSettings(schema(), "S", '{"bucket":"raw","minutes":5}')).toEqual({
      bucket: "raw",
      minutes: 5,
    });
  });

  it.each([
    [undefined, "S is not set"],
    ["", "S is not set"],
    ["{bucket", "S is not JSON: "],
    [
      '{"minutes":1.5}',
      "S is invalid: bucket: Invalid input: expected string, received undefined; minutes: ",
    ],
    ["[]", "S is invalid: (root): "],
  ])("%j fails at cold start naming the variable and every bad field", (raw, message) => {
    expect(() => parseSettings(schema(), "S", raw)).toThrow(message);
  });

  it("reads the variable from the environment", () => {
    const before = process.env.WARECAST_TEST_SETTINGS;
    process.env.WARECAST_TEST_SETTINGS = '{"bucket":"raw"}';
    try {
      expect(settingsFromEnv(schema, "WARECAST_TEST_SETTINGS")).toEqual({ bucket: "raw" });
      process.env.WARECAST_TEST_SETTINGS = '{"bucket":"r"}';
      expect(() => settingsFromEnv(schema, "WARECAST_TEST_SETTINGS")).toThrow(
        "WARECAST_TEST_SETTINGS is invalid: bucket: Too small",
      );
    } finally {
      if (before === undefined) delete process.env.WARECAST_TEST_SETTINGS;
      else process.env.WARECAST_TEST_SETTINGS = before;
    }
  });
});

describe("events", () => {
  it("gives the parsed value, or why the event is not what the handler takes", () => {
    expect(parseEvent(schema, { bucket: "raw", extra: true }, "a test event")).toEqual({
      ok: true,
      value: { bucket: "raw" },
    });
    expect(parseEvent(schema, { bucket: 3 }, "a test event")).toEqual({
      ok: false,
      reason: "not a test event: bucket: Invalid input: expected string, received number",
    });
  });

  it("parses JSON text (a queue message) first", () => {
    expect(parseJsonEvent(schema, '{"bucket":"raw"}', "a message")).toEqual({
      ok: true,
      value: { bucket: "raw" },
    });
    const bad = parseJsonEvent(schema, "{", "a message");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/^not a message: not JSON \(/);
  });

  it("logs a rejected event whole and counts it", () => {
    const obs = quietObservability();
    recordRejected(obs, "why", { some: "event" }, { messageId: "m1" });
    expect(obs.logs).toEqual([
      { message: "event rejected", extra: { reason: "why", messageId: "m1", event: { some: "event" } } },
    ]);
    expect(obs.metrics.serializeMetrics()).toMatchObject({ EventsRejected: 1 });
  });
});
