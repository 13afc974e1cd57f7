/**
 * Invokes a written-out artifact (artifact.ts) in a fresh Node process (runtime.js) with the environment a
 * Lambda container of that function would have: the stack's variables exactly, the variables the nodejs22.x
 * runtime adds, and, in place of AWS, endpoints on 127.0.0.1 with dummy credentials.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { exec } from "../exec";
import type { FunctionArtifact } from "./artifact";

export interface Emulation {
  /** The stack's region (config aws:region). */
  readonly region: string;
  /** AWS_ENDPOINT_URL: every AWS API (the moto front). */
  readonly awsEndpoint: string;
  /** AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: InvokeEndpoint (the stub endpoint). */
  readonly sagemakerRuntimeEndpoint: string;
  /** AWS_XRAY_DAEMON_ADDRESS (host:port, UDP). */
  readonly xrayDaemon: string;
  /** The function's ARN as the stack knows it (the context's invokedFunctionArn). */
  readonly functionArn: string;
}

export interface Invocation {
  readonly ok: boolean;
  /** The handler's answer, when ok. */
  readonly value?: unknown;
  /** Lambda's error shape, when not ok. */
  readonly error?: { errorType: string; errorMessage: string; stack?: string[] };
  readonly ms: number;
}

export interface ContainerRun {
  /** Loading __index.js and running the callback factory (Lambda's init phase), ms. */
  readonly initMs: number;
  readonly initError?: Invocation["error"];
  readonly results: Invocation[];
  /** JSON lines the function wrote (Powertools logs, EMF metrics), stdout then stderr. */
  readonly logs: Record<string, unknown>[];
  readonly stdout: string;
  readonly stderr: string;
}

/** What a nodejs22.x container's environment holds for `artifact` (see docs/deploy.md, Lambda artifacts). */
export function containerEnvironment(
  artifact: FunctionArtifact,
  taskRoot: string,
  emulation: Emulation,
): Record<string, string> {
  const runtimeSet: Record<string, string> = {
    _HANDLER: artifact.handler,
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_EXECUTION_ENV: `AWS_Lambda_${artifact.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: artifact.name,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(artifact.memoryMiB),
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: artifact.logGroup ?? `/aws/lambda/${artifact.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: "2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef",
    ...(artifact.logFormat ? { AWS_LAMBDA_LOG_FORMAT: artifact.logFormat } : {}),
    AWS_REGION: emulation.region,
    AWS_DEFAULT_REGION: emulation.region,
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
    PATH: "/usr/local/bin:/usr/bin:/bin",
    // In Lambda also /var/runtime/node_modules (the runtime's own SDK); the zip carries its SDK, so only the
    // task root is searched here: a package missing from the zip fails here rather than resolving elsewhere.
    NODE_PATH: taskRoot,
    ...(artifact.tracing
      ? {
          AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
          AWS_XRAY_DAEMON_ADDRESS: emulation.xrayDaemon,
          _AWS_XRAY_DAEMON_ADDRESS: emulation.xrayDaemon.split(":")[0],
          _AWS_XRAY_DAEMON_PORT: emulation.xrayDaemon.split(":")[1],
        }
      : {}),
  };
  const testOnly: Record<string, string> = {
    // Lambda's role credentials; dummies here, and no shared config files to pick anything else up.
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
    AWS_CONFIG_FILE: path.join(taskRoot, ".no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(taskRoot, ".no-aws-credentials"),
    AWS_ENDPOINT_URL: emulation.awsEndpoint,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: emulation.sagemakerRuntimeEndpoint,
  };
  for (const key of Object.keys(artifact.environment)) {
    if (key in runtimeSet || key in testOnly)
      throw new Error(`${artifact.name} sets reserved variable ${key}`);
  }
  return { ...artifact.environment, ...runtimeSet, ...testOnly };
}

const RUNTIME = path.join(__dirname, "runtime.js");

/** Runs `events` in one fresh container (one init, then each event in turn). */
export async function invokeContainer(
  artifact: FunctionArtifact,
  taskRoot: string,
  emulation: Emulation,
  events: readonly unknown[],
): Promise<ContainerRun> {
  const work = fs.mkdtempSync(path.join(path.dirname(taskRoot), `${path.basename(taskRoot)}-invoke-`));
  const invocations = path.join(work, "invocations.json");
  const results = path.join(work, "results.json");
  fs.writeFileSync(
    invocations,
    JSON.stringify({
      events,
      invokedFunctionArn: emulation.functionArn,
      timeoutMs: artifact.timeoutSeconds * 1000,
    }),
  );
  const { code, stdout, stderr } = await exec(process.execPath, [RUNTIME, invocations, results], {
    cwd: taskRoot,
    env: containerEnvironment(artifact, taskRoot, emulation),
  });
  if (!fs.existsSync(results)) {
    throw new Error(`${artifact.name}: the runtime exited (${code}) without results:\n${stderr}\n${stdout}`);
  }
  const out = JSON.parse(fs.readFileSync(results, "utf8")) as Omit<
    ContainerRun,
    "logs" | "stdout" | "stderr"
  >;
  fs.rmSync(work, { recursive: true, force: true });
  // Powertools writes errors and warnings to stderr, the rest to stdout; Lambda sends both to the log group.
  const logs = `${stdout}\n${stderr}`
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { ...out, logs, stdout, stderr };
}
