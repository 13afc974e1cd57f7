/**
 * The guard over serialized Lambda code (tests/support/lambda/serialized-code.ts): it finds each shape in which Pulumi's closure
 * serializer writes a built-in it cannot reproduce, and nothing in code that serializes faithfully. End to end, a
 * PrivateFunction that captures a module-level Set is refused by the guard and, run as it ships, fails exactly as
 * it would on AWS; the same function building its Set inside the factory passes both.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runStack, type StackRun } from "../harness";
import { functionArtifacts, writeArtifact, type FunctionArtifact } from "../support/lambda/artifact";
import { startXrayDaemon, type XrayDaemon } from "../support/lambda/aws-front";
import { invokeContainer } from "../support/lambda/invoke";
import { serializedCodeFindings, type FindingRule } from "../support/lambda/serialized-code";

async function findingsOf(fn: () => unknown): Promise<{ rule: FindingRule; message: string }[]> {
  const closure = await pulumi.runtime.serializeFunction(fn, { isFactoryFunction: false });
  return serializedCodeFindings(closure.text).map(({ rule, message }) => ({ rule, message }));
}

const SET = new Set(["a"]);
const MAP = new Map([["a", 1]]);
const WEAK = new WeakMap<object, number>();
const WHEN = new Date(0);
const BYTES = new Uint8Array([1, 2]);
class Registry extends Map<string, number> {}
class Problem extends Error {}
class WithFields {
  readonly seen = new Set<string>();
}
const PLAIN = { a: 1, list: [1, 2], re: /x+/ };

describe("serializedCodeFindings", () => {
  it("reports a captured Set, Map, WeakMap and Date: built-in methods on a plain object", async () => {
    expect(await findingsOf(() => SET.has("a"))).toEqual([
      {
        rule: "builtin-method",
        message:
          "__SET.has is Set.prototype.has on a plain object: a captured Set that every call will fail on",
      },
    ]);
    expect((await findingsOf(() => MAP.get("a"))).map((f) => f.message)).toEqual([
      expect.stringContaining("Map.prototype.get"),
    ]);
    expect((await findingsOf(() => WEAK.get({}))).map((f) => f.message)).toEqual([
      expect.stringContaining("WeakMap.prototype.get"),
    ]);
    expect((await findingsOf(() => WHEN.getTime())).map((f) => f.rule)).toEqual(["builtin-method"]);
  });

  it("reports a captured typed array (rebuilt without its contents) and a class extending Map", async () => {
    expect((await findingsOf(() => BYTES[0])).map((f) => f.rule)).toEqual(["builtin-instance"]);
    expect((await findingsOf(() => new Registry().size)).map((f) => f.rule)).toEqual(["builtin-subclass"]);
  });

  it("accepts what serializes faithfully: a Set built inside, arrays, plain objects, RegExps, Error subclasses, class fields", async () => {
    expect(await findingsOf(() => new Set(["a"]).has("a"))).toEqual([]);
    expect(await findingsOf(() => PLAIN.list.includes(PLAIN.a) && PLAIN.re.test("xx"))).toEqual([]);
    expect(await findingsOf(() => new Problem("x"))).toEqual([]);
    expect(await findingsOf(() => new WithFields().seen.has("a"))).toEqual([]);
  });
});

describe("class field initializers", () => {
  it("survive serialization: TypeScript emits them into the constructor (tsconfig useDefineForClassFields: false)", async () => {
    // With [[Define]] semantics they stay class-body fields, which the serializer drops: `seen` would be undefined.
    const closure = await pulumi.runtime.serializeFunction(() => new WithFields().seen.has("a"), {
      isFactoryFunction: false,
    });
    expect(closure.text).toContain("this.seen = new Set()");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "warecast-fields-")), "__index.js");
    fs.writeFileSync(file, closure.text);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the serialized module, as Lambda loads it
    const { handler } = require(file) as { handler: () => boolean };
    expect(handler()).toBe(false);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});

describe("a PrivateFunction capturing a module-level Set (tests/artifacts/programs/captured-set.ts)", () => {
  let run: StackRun;
  let artifacts: Map<string, FunctionArtifact>;
  let xray: XrayDaemon;
  let root: string;

  beforeAll(async () => {
    run = await runStack("dev", { program: path.join(__dirname, "programs", "captured-set.ts") });
    artifacts = await functionArtifacts(run);
    xray = await startXrayDaemon();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-guard-"));
  }, 300_000);

  afterAll(async () => {
    await xray?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  async function invoke(name: string) {
    const a = artifacts.get(name)!;
    return invokeContainer(
      a,
      writeArtifact(a, path.join(root, name)),
      {
        region: "eu-west-1",
        // These functions call no AWS API.
        awsEndpoint: "http://127.0.0.1:9",
        sagemakerRuntimeEndpoint: "http://127.0.0.1:9",
        xrayDaemon: xray.address,
        functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${name}`,
      },
      [{ value: "a" }],
    );
  }

  it("is refused by the guard, and fails when run as it ships, as on AWS", async () => {
    const findings = serializedCodeFindings(artifacts.get("captured-set")!.indexJs);
    expect(findings.map((f) => f.message)).toEqual([
      "__KNOWN.has is Set.prototype.has on a plain object: a captured Set that every call will fail on",
    ]);
    const out = await invoke("captured-set");
    expect(out.results[0]).toMatchObject({
      ok: false,
      error: {
        errorType: "TypeError",
        errorMessage: "Method Set.prototype.has called on incompatible receiver #<Object>",
      },
    });
  }, 120_000);

  it("passes both once the Set is built inside the callback factory", async () => {
    expect(serializedCodeFindings(artifacts.get("built-inside")!.indexJs)).toEqual([]);
    const out = await invoke("built-inside");
    expect(out.results[0]).toMatchObject({ ok: true, value: { known: true } });
  }, 120_000);
});
