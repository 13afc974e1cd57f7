/**
 * jest's Node environment, plus one duty: what a test file left attached to the process-wide modules every
 * sandbox shares is detached when the file ends, so the file's module graph can be collected.
 *
 * - Inspector sessions. @pulumi/pulumi's closure serializer (behind aws.lambda.CallbackFunction) connects one and
 *   enables the debugger once per module registry, i.e. once per test file, and never disconnects it. While a
 *   session is connected V8 keeps every script compiled and the arguments of console calls ("DevTools debugger"
 *   and "DevTools console" global handles in a heap snapshot).
 * - Async hooks. cls-hooked (aws-xray-sdk-core, under Powertools' tracer) creates and enables one per namespace at
 *   load and never disables it; the enabled hook's callbacks hold the file's modules.
 *
 * Left attached, a worker kept every such file: its heap grew 100-200 MB per component test to 1.6-1.8 GB, and
 * tearing that down outlasted jest-worker's 500 ms grace, hence "A worker process has failed to exit gracefully"
 * at the end of every full run (issue 18). This module loads outside the sandbox, so it sees the one real
 * `inspector` and `async_hooks` modules that sandboxes get.
 */
// Default imports: the modules themselves, whose properties can be replaced (a namespace import has getters).
import asyncHooks from "node:async_hooks";
import inspector from "node:inspector";
import { TestEnvironment } from "jest-environment-node";

const sessions = new Set<inspector.Session>();
const hooks = new Set<asyncHooks.AsyncHook>();
const patched = Symbol.for("warecast.jest.detachOnTeardown");

type Patchable = { [patched]?: true };
if (!(asyncHooks as Patchable)[patched]) {
  const connect = inspector.Session.prototype.connect;
  inspector.Session.prototype.connect = function (this: inspector.Session) {
    connect.call(this);
    sessions.add(this);
  };
  const createHook = asyncHooks.createHook;
  // Only a sandbox's hooks: their callbacks object comes from another realm, so it is no instance of our Object.
  // Node's own (domain's, AsyncLocalStorage's) stay.
  (asyncHooks as { createHook: typeof createHook }).createHook = (callbacks) => {
    const hook = createHook(callbacks);
    if (!(callbacks instanceof Object)) hooks.add(hook);
    return hook;
  };
  (asyncHooks as Patchable)[patched] = true;
}

export default class WarecastEnvironment extends TestEnvironment {
  override async teardown(): Promise<void> {
    for (const session of sessions) session.disconnect();
    sessions.clear();
    for (const hook of hooks) hook.disable();
    hooks.clear();
    await super.teardown();
  }
}
