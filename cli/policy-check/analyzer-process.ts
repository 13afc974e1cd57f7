/**
 * Starts a policy pack the way the Pulumi CLI's Node.js language host does — `node
 * @pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` from the pack directory (TypeScript through the ts-node
 * that ships with @pulumi/pulumi) — reads the port it prints, and connects an Analyzer gRPC client to it.
 * The pack's gRPC server never exits on its own, so `close()` ends the process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";

export interface AnalyzerProcess {
  readonly client: analyzerRpc.AnalyzerClient;
  readonly port: number;
  /** Everything the pack wrote to stderr so far (load errors, policy exceptions). */
  stderr(): string;
  close(): Promise<void>;
}

const RUN_POLICY_PACK = path.join(
  path.dirname(require.resolve("@pulumi/pulumi/package.json")),
  "cmd",
  "run-policy-pack",
);
/** The pack writes its port once its server listens; the first run type-checks the pack (a few seconds). */
const START_TIMEOUT_MS = 120_000;

/** Packs still running: ended when this process exits or is stopped by a signal, as they never end themselves. */
const running = new Set<ChildProcess>();
const endAll = () => running.forEach((c) => c.kill());
process.once("exit", endAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    endAll();
    process.kill(process.pid, signal); // then die of the signal, as without this handler
  });
}

export function startAnalyzer(packDir: string): Promise<AnalyzerProcess> {
  const dir = path.resolve(packDir);
  // The engine address is unused by policy packs; the language host passes its own, and so do we.
  const child: ChildProcess = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:0", "."], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`policy pack in ${dir} did not start within ${START_TIMEOUT_MS / 1000} s\n${err}`));
    }, START_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack in ${dir} exited with code ${code} before serving\n${err.trim()}`));
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (!out.includes("\n") || !/^\d+$/.test(line.trim())) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      const port = Number(line.trim());
      const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": 400 * 1024 * 1024,
        "grpc.max_send_message_length": 400 * 1024 * 1024,
      });
      resolve({
        client,
        port,
        stderr: () => err,
        close: () =>
          new Promise<void>((done) => {
            client.close();
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill();
          }),
      });
    });
  });
}

/** Promisifies one unary Analyzer call. */
export function call<Req, Res>(
  client: analyzerRpc.AnalyzerClient,
  method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
  });
}
