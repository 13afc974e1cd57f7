import * as path from "node:path";
import type { Command } from "commander";
import { dashboardHandler } from "../demo/dashboard";
import { DashboardLogin } from "../demo/dashboard-login";
import { localApiKey } from "../local-api/api-key";
import { artifactToServe, startEndpointProcess, type EndpointProcess } from "../local-api/endpoint-process";
import { startLocalApi, type LocalApi } from "../local-api/server";

interface ServeFlags {
  workspace: string;
  port: string;
  endpointPort: string;
  endpointWorkers?: string;
}

/** A port flag's value (0 = any free port), or an error naming the flag. */
export function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag} must be a port number (0-65535), got "${value}"`);
  return n;
}

/** A worker count flag's value, or an error naming the flag. */
export function workers(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`${flag} must be 1 to 64, got "${value}"`);
  return n;
}

export interface Serving {
  readonly endpoint: EndpointProcess;
  readonly api: LocalApi;
  /** True when no trained model exists and the bootstrap baseline is served. */
  readonly bootstrap: boolean;
  /** The dashboard's one-time login URL (it sets the browser's session cookie, then opens the page). */
  readonly dashboardUrl: string;
  stop(): Promise<void>;
}

/** Starts the local endpoint (model/local_endpoint.py) and the local API with the dashboard (web/) in front. */
export async function startServing(opts: {
  workspace: string;
  port: number;
  endpointPort: number;
  /** Endpoint worker processes (default: one per CPU, as the SageMaker container). */
  endpointWorkers?: number;
}): Promise<Serving> {
  const workspace = path.resolve(opts.workspace);
  const { artifact, bootstrap } = await artifactToServe(workspace);
  const endpoint = await startEndpointProcess(artifact, opts.endpointPort, { workers: opts.endpointWorkers });
  let api: LocalApi;
  const apiKey = localApiKey(workspace);
  const login = new DashboardLogin(apiKey);
  try {
    api = await startLocalApi({
      workspace,
      port: opts.port,
      endpointUrl: endpoint.url,
      // Same origin as the API, so the page needs no CORS.
      extraHandler: dashboardHandler({ apiBase: "", apiKey }, login),
    });
  } catch (err) {
    await endpoint.stop();
    throw err;
  }
  return {
    endpoint,
    api,
    bootstrap,
    dashboardUrl: `${api.url}${login.loginPath}`,
    stop: async () => {
      await api.close();
      await endpoint.stop();
    },
  };
}

/**
 * The URLs, the key file and example calls (on the first series the data has), as `warecast serve` and
 * `warecast demo` print them.
 */
export async function servingText(s: Serving, workspace: string): Promise<string> {
  const { api, endpoint } = s;
  const first = (await api.deps.seriesState.list())[0] ?? { warehouse_id: "WH1", sku: "SKU-1" };
  const [w, k] = [encodeURIComponent(first.warehouse_id), encodeURIComponent(first.sku)];
  const key = `-H "x-api-key: ${api.apiKey}"`;
  return [
    `model     ${endpoint.modelVersion}${s.bootstrap ? " (bootstrap baseline: run `warecast train` for the trained model)" : ""}`,
    `endpoint  ${endpoint.url}   (${endpoint.workers} worker process${endpoint.workers === 1 ? "" : "es"})`,
    `API       ${api.url}   (key in ${path.join(path.resolve(workspace), "api-key")})`,
    `dashboard ${s.dashboardUrl}   (one-time login link; another browser logs in at /login with the key)`,
    "",
    `  curl ${key} ${api.url}/v1/health`,
    `  curl ${key} ${api.url}/v1/series`,
    `  curl ${key} "${api.url}/v1/forecasts/${w}/${k}?horizon=14"`,
    `  curl ${key} -H "content-type: application/json" -d '{"items":[{"warehouse_id":"${first.warehouse_id}","sku":"${first.sku}","lead_time_days":5,"review_period_days":7}]}' ${api.url}/v1/recommendations`,
    "",
  ].join("\n");
}

/** Stops serving on Ctrl-C or SIGTERM. */
export function stopOnSignal(s: Serving): void {
  const stop = async () => {
    await s.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

/** `warecast serve`: the local SageMaker endpoint and the local API (same handlers as AWS) on 127.0.0.1. */
export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve forecasts locally: the model behind a local SageMaker-style endpoint, the REST API (api/openapi.yaml) and the dashboard on 127.0.0.1",
    )
    .option("--workspace <dir>", "workspace written by etl/train", ".warecast")
    .option("--port <n>", "API and dashboard port", "8080")
    .option("--endpoint-port <n>", "local endpoint port", "8081")
    .option(
      "--endpoint-workers <n>",
      "endpoint worker processes (default: SAGEMAKER_MODEL_SERVER_WORKERS, else one per CPU)",
    )
    .action(async (flags: ServeFlags) => {
      const serving = await startServing({
        workspace: flags.workspace,
        port: port(flags.port, "--port"),
        endpointPort: port(flags.endpointPort, "--endpoint-port"),
        endpointWorkers:
          flags.endpointWorkers === undefined
            ? undefined
            : workers(flags.endpointWorkers, "--endpoint-workers"),
      });
      process.stdout.write(await servingText(serving, flags.workspace));
      process.stdout.write("Ctrl-C stops both.\n");
      stopOnSignal(serving);
    });
}
