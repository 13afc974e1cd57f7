import * as fs from "node:fs";
import * as path from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import type { EndpointProcess } from "../local-api/endpoint-process";
import type { LocalApi } from "../local-api/server";
import { needs } from "../setup";
import { portNumber, positiveInteger } from "../usage";

interface ServeFlags {
  workspace: string;
  port: number;
  endpointPort: number;
  endpointWorkers?: number;
  logFormat: "text" | "json";
}

/** An option parser for the endpoint's worker count (1-64). */
function workerCount(value: string): number {
  const n = positiveInteger(value);
  if (n > 64) throw new InvalidArgumentError("expected 1 to 64 workers.");
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

/** Where the handlers' logs and metrics go: `text` keeps them in a file, `json` prints them as the Lambda does. */
export interface ServeLogs {
  readonly format: "text" | "json";
  /** What the terminal shows: request lines, and the handlers' warnings in text mode. */
  readonly write: (line: string) => void;
}

/** The handlers' JSON logs and EMF metrics, in text mode: `<workspace>/logs/serve.ndjson`. */
export const serveLogFile = (workspace: string) => path.join(path.resolve(workspace), "logs", "serve.ndjson");

/** Starts the local endpoint (model/local_endpoint.py) and the local API with the dashboard (web/) in front. */
export async function startServing(opts: {
  workspace: string;
  port: number;
  endpointPort: number;
  /** Endpoint worker processes (default: one per CPU, as the SageMaker container). */
  endpointWorkers?: number;
  logs?: ServeLogs;
}): Promise<Serving> {
  // Loaded here, not at the top: the API's handlers and the AWS SDK take a while to load, and --help should not.
  const [
    { dashboardHandler },
    { DashboardLogin },
    { localApiKey },
    { artifactToServe, startEndpointProcess },
    { startLocalApi },
  ] = await Promise.all([
    import("../demo/dashboard"),
    import("../demo/dashboard-login"),
    import("../local-api/api-key"),
    import("../local-api/endpoint-process"),
    import("../local-api/server"),
  ]);
  const { requestLog, sinkObservability } = await import("../local-api/log-sink");
  const workspace = path.resolve(opts.workspace);
  const { artifact, bootstrap } = await artifactToServe(workspace);
  const endpoint = await startEndpointProcess(artifact, opts.endpointPort, { workers: opts.endpointWorkers });
  const apiKey = localApiKey(workspace);
  const login = new DashboardLogin(apiKey);
  const dashboard = dashboardHandler({ apiBase: "", apiKey }, login);
  let obs;
  let logRequest: ReturnType<typeof requestLog> | undefined;
  if (opts.logs) {
    logRequest = requestLog(opts.logs.format, opts.logs.write);
    if (opts.logs.format === "text") {
      const file = serveLogFile(workspace);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const sink = fs.createWriteStream(file, { flags: "a" });
      obs = sinkObservability("warecast-local-api", (l) => sink.write(l + "\n"), opts.logs.write);
    }
  }
  let api: LocalApi;
  try {
    api = await startLocalApi({
      workspace,
      port: opts.port,
      endpointUrl: endpoint.url,
      obs,
      // Same origin as the API, so the page needs no CORS.
      extraHandler: (req, res) => {
        logRequest?.(req, res);
        return dashboard(req, res);
      },
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
    .option("--port <n>", "API and dashboard port (0: any free port)", portNumber, 8080)
    .option("--endpoint-port <n>", "local endpoint port (0: any free port)", portNumber, 8081)
    .addOption(
      new Option(
        "--log-format <format>",
        "text: one line per request here, the handlers' JSON logs and EMF metrics in <workspace>/logs/serve.ndjson; json: everything on stdout, as the Lambda prints it",
      )
        .choices(["text", "json"])
        .default("text"),
    )
    .option(
      "--endpoint-workers <n>",
      "endpoint worker processes (default: SAGEMAKER_MODEL_SERVER_WORKERS, else one per CPU)",
      workerCount,
    )
    .hook("preAction", needs("python"))
    .action(async (flags: ServeFlags) => {
      const write = (line: string) => void process.stdout.write(line + "\n");
      const serving = await startServing({ ...flags, logs: { format: flags.logFormat, write } });
      process.stdout.write(await servingText(serving, flags.workspace));
      if (flags.logFormat === "text") {
        process.stdout.write(`Handler logs and metrics (EMF): ${serveLogFile(flags.workspace)}\n`);
      }
      process.stdout.write("Ctrl-C stops both.\n");
      stopOnSignal(serving);
    });
}
