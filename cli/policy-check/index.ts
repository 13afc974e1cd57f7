/** Offline policy check: the stack's mocked resource graph through the real policy pack. */
import * as path from "node:path";
import type { Step } from "../progress";
import { runPolicyCheck } from "./analyze";
import { loadPackConfig } from "./pack-config";
import { buildReport, type Report } from "./report";
import { loadStackGraph } from "./stack-graph";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const PACK_DIR = path.join(REPO_ROOT, "policies");

/** The pack's config file for a stack: policies/config/<stack>.json. */
export function packConfigFile(stack: string): string {
  return path.join(PACK_DIR, "config", `${stack}.json`);
}

export async function checkStack(
  stack: string,
  configFile = packConfigFile(stack),
  onStep?: (step: Step) => void,
): Promise<Report> {
  const config = loadPackConfig(configFile);
  onStep?.({
    stage: "building the stack graph",
    detail: `index.ts with Pulumi.${stack}.yaml under the mocks`,
  });
  const graph = await loadStackGraph(stack, REPO_ROOT);
  const run = await runPolicyCheck({
    packDir: PACK_DIR,
    stack,
    project: graph.project,
    config,
    resources: graph.resources,
    defaultProviders: graph.defaultProviders,
    onStep,
  });
  return buildReport(stack, run, graph.resources);
}
