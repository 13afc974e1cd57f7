/** The order in which a completed training's outcome is settled (functions/model/outcome.ts), without AWS. */
import type { Pin } from "../../functions/model/decisions";
import { settleOutcome, type OutcomeFacts } from "../../functions/model/outcome";

const PIN: Pin = {
  model_package_arn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/warecast-dev-forecast/1",
  version: 1,
  pinned_at: "2026-11-27T00:00:00Z",
  pinned_by: "alice",
  reason: "peak season freeze",
};
const WIN = { outcome: "promoted", reason: "wape 0.30 <= 0.31" } as const;
const IDLE = { modelName: "champ", status: "InService", updating: false };
const BUSY = { modelName: "champ", status: "Updating", updating: true, pendingEndpointConfigName: "cfg-2" };

const facts = (over: Partial<OutcomeFacts> = {}): OutcomeFacts => ({
  gate: WIN,
  scoredAgainst: "champ",
  serving: IDLE,
  endpointName: "warecast-dev-forecast",
  pin: undefined,
  ...over,
});

describe("settleOutcome", () => {
  it("promotes a winner scored against the serving model, with no pin, on an idle endpoint", () => {
    expect(settleOutcome(facts())).toEqual({ deferred: false, ...WIN });
  });

  it.each([
    ["rejected", "wape 0.40 > 0.31"],
    ["invalid-artifact", "no metrics.json"],
  ] as const)("keeps the gate's %s whatever else holds (stale, pinned, busy)", (outcome, reason) => {
    const gate = { outcome, reason };
    expect(settleOutcome(facts({ gate, scoredAgainst: "old", pin: PIN, serving: BUSY }))).toEqual({
      deferred: false,
      outcome,
      reason,
    });
  });

  it("a stale champion comes before the pin and the busy endpoint", () => {
    expect(settleOutcome(facts({ scoredAgainst: "old", pin: PIN, serving: BUSY }))).toEqual({
      deferred: false,
      outcome: "stale-champion",
      reason: "scored against old, but the endpoint now serves champ",
    });
    expect(settleOutcome(facts({ scoredAgainst: undefined }))).toMatchObject({
      outcome: "stale-champion",
      reason: "scored against an unknown model, but the endpoint now serves champ",
    });
  });

  it("a pin comes before the busy endpoint: a pinned winner is held, not deferred", () => {
    expect(settleOutcome(facts({ pin: PIN, serving: BUSY }))).toEqual({
      deferred: false,
      outcome: "held-pinned",
      reason: `${WIN.reason}; held: endpoint pinned to version 1 by alice (peak season freeze)`,
    });
  });

  it("defers an unpinned, current winner while the endpoint is updating, naming the config it moves to", () => {
    expect(settleOutcome(facts({ serving: BUSY }))).toEqual({
      deferred: true,
      reason: "endpoint warecast-dev-forecast is Updating (to cfg-2); the promotion waits for it",
    });
    const { pendingEndpointConfigName: _, ...noTarget } = BUSY;
    expect(settleOutcome(facts({ serving: noTarget }))).toEqual({
      deferred: true,
      reason: "endpoint warecast-dev-forecast is Updating; the promotion waits for it",
    });
  });
});
