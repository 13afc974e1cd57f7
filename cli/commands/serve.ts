import * as path from "node:path";
import type { Command } from "commander";
import { artifactToServe, startEndpointProcess } from "../local-api/endpoint-process";
import { startLocalApi } from "../local-api/server";

interface ServeFlags {
  workspace: string;
  port: string;
  endpointPort: string;
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag} must be a port number (0-65535), got "${value}"`);
  return n;
}

/** `warecast serve`: the local SageMaker endpoint and the local API (same handlers as AWS) on 127.0.0.1. */
export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve forecasts locally: the model behind a local SageMaker-style endpoint and the REST API (api/openapi.yaml) on 127.0.0.1",
    )
    .option("--workspace <dir>", "workspace written by etl/train", ".warecast")
    .option("--port <n>", "API port", "8080")
    .option("--endpoint-port <n>", "local endpoint port", "8081")
    .action(async (flags: ServeFlags) => {
      const workspace = path.resolve(flags.workspace);
      const apiPort = port(flags.port, "--port");
      const endpointPort = port(flags.endpointPort, "--endpoint-port");
      const { artifact, bootstrap } = await artifactToServe(workspace);
      const endpoint = await startEndpointProcess(artifact, endpointPort);
      let api;
      try {
        api = await startLocalApi({ workspace, port: apiPort, endpointUrl: endpoint.url });
      } catch (err) {
        await endpoint.stop();
        throw err;
      }
      const out = process.stdout;
      out.write(
        `model    ${endpoint.modelVersion}${bootstrap ? " (bootstrap baseline: run `warecast train` for the trained model)" : ""}\n`,
      );
      out.write(`endpoint ${endpoint.url}\n`);
      out.write(`API      ${api.url}   (key in ${path.join(workspace, "api-key")})\n\n`);
      out.write(`  curl -H "x-api-key: ${api.apiKey}" ${api.url}/v1/health\n`);
      out.write(
        `  curl -H "x-api-key: ${api.apiKey}" -H "content-type: application/json" -d '{"series":[{"warehouse_id":"WH1","sku":"SKU-1"}]}' ${api.url}/v1/forecasts\n\n`,
      );
      out.write("Ctrl-C stops both.\n");
      const stop = async () => {
        await api.close();
        await endpoint.stop();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop());
      process.once("SIGTERM", () => void stop());
    });
}
