import type { Champion } from "./champion";
import type { DecisionOutcome, Pin } from "./decisions";

/**
 * The order in which the promote function settles a completed training's outcome, as one pure function:
 * 1. the artifact check and the metric gate (`gate`): a loser or a broken artifact keeps that outcome;
 * 2. a winner scored against a champion that no longer serves (another model went live while it trained) is
 *    `stale-champion`: its win was against the wrong model;
 * 3. a winner while an operator pin is in place is `held-pinned`;
 * 4. a winner that finds the endpoint mid-update is deferred, and decided again on the endpoint's next state
 *    change (nothing is registered yet, so the registry gets one package per job);
 * 5. otherwise it is `promoted`.
 */

export interface OutcomeFacts {
  /** What the artifact check and the metric gate said. */
  readonly gate: { readonly outcome: DecisionOutcome; readonly reason: string };
  /** The model the challenger was scored against (its training job's tag). */
  readonly scoredAgainst: string | undefined;
  /** The endpoint now. */
  readonly serving: Pick<Champion, "modelName" | "status" | "updating" | "pendingEndpointConfigName">;
  readonly endpointName: string;
  /** The operator's pin, if any (the caller may skip reading it when the gate said no). */
  readonly pin: Pin | undefined;
}

export type Settled =
  | { readonly deferred: false; readonly outcome: DecisionOutcome; readonly reason: string }
  | { readonly deferred: true; readonly reason: string };

export function settleOutcome(f: OutcomeFacts): Settled {
  const { gate, serving, pin } = f;
  if (gate.outcome !== "promoted") return { deferred: false, ...gate };
  if (f.scoredAgainst !== serving.modelName) {
    return {
      deferred: false,
      outcome: "stale-champion",
      reason: `scored against ${f.scoredAgainst ?? "an unknown model"}, but the endpoint now serves ${serving.modelName}`,
    };
  }
  if (pin) {
    return {
      deferred: false,
      outcome: "held-pinned",
      reason: `${gate.reason}; held: endpoint pinned to version ${pin.version} by ${pin.pinned_by} (${pin.reason})`,
    };
  }
  if (serving.updating) {
    const to = serving.pendingEndpointConfigName ? ` (to ${serving.pendingEndpointConfigName})` : "";
    return {
      deferred: true,
      reason: `endpoint ${f.endpointName} is ${serving.status}${to}; the promotion waits for it`,
    };
  }
  return { deferred: false, ...gate };
}
