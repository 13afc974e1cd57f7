/**
 * A minimal Lambda Node.js runtime for the artifact tests: it loads the handler the way the nodejs22.x runtime
 * does (`_HANDLER` = module.export under `LAMBDA_TASK_ROOT`, CommonJS `require` first, `import()` for ES
 * modules), once per process (the init phase), then runs each invocation in turn in the same process (a warm
 * container): a fresh `_X_AMZN_TRACE_ID`, a context with the function's deadline, async or callback handlers, and
 * the function's timeout enforced. It never reads the test's environment: the parent passes exactly the variables
 * a Lambda container would have.
 *
 * Usage: node runtime.js INVOCATIONS.json RESULTS.json
 *   INVOCATIONS.json: { "invokedFunctionArn": "...", "timeoutMs": n, "events": [ ... ] } (the deadline comes from
 *   the Runtime API in Lambda, not from the environment, so it is passed here)
 *   RESULTS.json (written at the end): { "initMs": n, "initError"?: {...}, "results": [ { "ok", "value" | "error", "ms" } ] }
 * Plain JavaScript on purpose: it runs in a fresh Node process with no TypeScript loader, like the real runtime.
 */
"use strict";
const { randomBytes, randomUUID } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const [invocationsFile, resultsFile] = process.argv.slice(2);

function errorOf(err) {
  if (err instanceof Error) {
    return { errorType: err.name, errorMessage: err.message, stack: (err.stack || "").split("\n") };
  }
  return { errorType: typeof err, errorMessage: String(err), stack: [] };
}

function traceHeader() {
  const time = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${time}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=1`;
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const dot = spec.indexOf(".");
  if (dot <= 0) throw new Error(`Bad handler ${spec}`);
  const file = path.resolve(process.env.LAMBDA_TASK_ROOT, spec.slice(0, dot));
  let mod;
  try {
    mod = require(file);
  } catch (err) {
    if (err && err.code === "ERR_REQUIRE_ESM") mod = await import(`${file}.js`);
    else throw err;
  }
  const fn = spec
    .slice(dot + 1)
    .split(".")
    .reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), mod);
  if (typeof fn !== "function") throw new Error(`${spec} is undefined or not exported`);
  return fn;
}

function invokeOnce(handler, event, invokedFunctionArn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  process.env._X_AMZN_TRACE_ID = traceHeader();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: { errorType: "Sandbox.Timedout", errorMessage: "Task timed out" } }),
      timeoutMs,
    );
    const callback = (err, value) => finish(err ? { ok: false, error: errorOf(err) } : { ok: true, value });
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: randomUUID(),
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: callback,
      succeed: (value) => callback(null, value),
      fail: (err) => callback(err),
    };
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === "function") {
        returned.then(
          (value) => callback(null, value),
          (err) => callback(err),
        );
      }
    } catch (err) {
      callback(err);
    }
  });
}

async function main() {
  const { events, invokedFunctionArn, timeoutMs } = JSON.parse(fs.readFileSync(invocationsFile, "utf8"));
  const out = { initMs: 0, results: [] };
  const t0 = process.hrtime.bigint();
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    out.initError = errorOf(err);
  }
  out.initMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (handler) {
    for (const event of events) {
      const started = process.hrtime.bigint();
      const outcome = await invokeOnce(handler, event, invokedFunctionArn, timeoutMs);
      out.results.push({ ...outcome, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    }
  }
  fs.writeFileSync(resultsFile, JSON.stringify(out));
  // Lambda freezes the container after the response; here the process ends (SDK sockets would keep it alive).
  process.exit(0);
}

main().catch((err) => {
  fs.writeFileSync(resultsFile, JSON.stringify({ initMs: 0, initError: errorOf(err), results: [] }));
  process.exit(1);
});
