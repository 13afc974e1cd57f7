/**
 * A test program with two functions that differ only in where a Set is built: `captured-set` captures a
 * module-level Set (what the guard must refuse and what fails on AWS), `built-inside` builds it in the callback
 * factory (once per container, which serializes faithfully).
 */
import { createStackBase } from "../../../components/stack-base";
import { PrivateFunction } from "../../../components/private-function";
import { loadStackConfig } from "../../../config";

const cfg = loadStackConfig();
const { opts, foundation } = createStackBase(cfg);

const KNOWN = new Set(["a", "b"]);

export const capturedSet = new PrivateFunction(
  "captured-set",
  {
    ...foundation.functions,
    description: "test function: captures a module-level Set",
    packages: [],
    callbackFactory: () => async (event: { value: string }) => ({ known: KNOWN.has(event.value) }),
  },
  opts,
).functionName;

export const builtInside = new PrivateFunction(
  "built-inside",
  {
    ...foundation.functions,
    description: "test function: builds its Set inside the callback factory",
    packages: [],
    callbackFactory: () => {
      const known = new Set(["a", "b"]);
      return async (event: { value: string }) => ({ known: known.has(event.value) });
    },
  },
  opts,
).functionName;
