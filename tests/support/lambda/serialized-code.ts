/**
 * The guard over serialized Lambda code (`__index.js` of a CallbackFunction): it finds the shapes in which
 * Pulumi's closure serializer writes a built-in object it cannot reproduce. Serializing is not running: the
 * serializer copies a captured object's reachable properties onto a new object, so a module-level `Set` becomes
 * `{}` with `Set.prototype.has` attached, and the first call throws "Method Set.prototype.has called on
 * incompatible receiver" on AWS. It parses the code (TypeScript's parser, as JavaScript) and reports:
 *
 * - `builtin-method`: a built-in's prototype method stored as an own property
 *   (`Object.defineProperty(__x, "has", { value: global.Set.prototype.has })`, `{ toString: global.Buffer… }`);
 * - `builtin-instance`: an object created from a built-in's prototype that is not a class's prototype
 *   (`Object.create(global.Uint8Array.prototype)`: a typed array, Map, … without its internal slots);
 * - `builtin-subclass`: a class extending a built-in other than Object and the Error types: its serialized
 *   constructor calls `Map.call(this)`, which throws ("Constructor Map requires 'new'"). Error types may be
 *   called without `new`, but that initialises nothing on `this` (see functions/predict/problem.ts).
 *
 * Plain objects, arrays, RegExps and primitives serialize faithfully and are not reported.
 */
import * as ts from "typescript";

export type FindingRule = "builtin-method" | "builtin-instance" | "builtin-subclass";

export interface Finding {
  readonly rule: FindingRule;
  readonly message: string;
  /** 1-based line in the serialized code. */
  readonly line: number;
}

/** `global.Set.prototype.has` → ["Set", "prototype", "has"]; not rooted at the global object → undefined. */
function globalPath(node: ts.Node): string[] | undefined {
  const names: string[] = [];
  let at: ts.Node = node;
  while (ts.isPropertyAccessExpression(at)) {
    names.unshift(at.name.text);
    at = at.expression;
  }
  if (!ts.isIdentifier(at) || (at.text !== "global" && at.text !== "globalThis")) return undefined;
  while (names[0] === "global" || names[0] === "globalThis") names.shift();
  return names.length > 0 ? names : undefined;
}

function isCallOf(node: ts.Node, object: string, method: string): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    ts.isIdentifier(node.expression.expression) &&
    node.expression.expression.text === object &&
    node.expression.name.text === method
  );
}

function text(node: ts.Node | undefined): string {
  if (!node) return "?";
  return ts.isStringLiteral(node) ? node.text : node.getText();
}

/** Where a property assignment lands: `Object.defineProperty(target, key, { value })` or `var target = { key }`. */
function ownerOf(prop: ts.PropertyAssignment): string {
  const literal = prop.parent;
  const call = literal.parent;
  if (
    ts.isCallExpression(call) &&
    isCallOf(call, "Object", "defineProperty") &&
    call.arguments[2] === literal
  ) {
    return `${text(call.arguments[0])}.${text(call.arguments[1])}`;
  }
  const decl = literal.parent;
  const owner = ts.isVariableDeclaration(decl) ? decl.name.getText() : "an object";
  return `${owner}.${prop.name.getText()}`;
}

export function serializedCodeFindings(code: string): Finding[] {
  const source = ts.createSourceFile("__index.js", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const findings: Finding[] = [];
  const created: { name: string; builtin: string; node: ts.Node }[] = [];
  const prototypes = new Set<string>();
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;

  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node)) {
      const p = globalPath(node.initializer);
      if (p && p.length === 3 && p[1] === "prototype" && p[0] !== "Object") {
        findings.push({
          rule: "builtin-method",
          message: `${ownerOf(node)} is ${p.join(".")} on a plain object: a captured ${p[0]} that every call will fail on`,
          line: lineOf(node),
        });
      }
    } else if (isCallOf(node, "Object", "create")) {
      const p = globalPath(node.arguments[0]);
      if (p && p.length === 2 && p[1] === "prototype" && p[0] !== "Object") {
        const decl = node.parent;
        created.push({
          name: ts.isVariableDeclaration(decl) ? decl.name.getText() : "?",
          builtin: p[0],
          node,
        });
      }
    } else if (isCallOf(node, "Object", "defineProperty") && text(node.arguments[1]) === "prototype") {
      const descriptor = node.arguments[2];
      if (descriptor && ts.isObjectLiteralExpression(descriptor)) {
        for (const prop of descriptor.properties) {
          if (ts.isPropertyAssignment(prop) && prop.name.getText() === "value")
            prototypes.add(text(prop.initializer));
        }
      }
    } else if (isCallOf(node, "Object", "setPrototypeOf")) {
      const p = globalPath(node.arguments[1]);
      if (p && p.length === 1 && p[0] !== "Object" && !/Error$/.test(p[0])) {
        findings.push({
          rule: "builtin-subclass",
          message: `${text(node.arguments[0])} is a class extending ${p[0]}: its serialized constructor calls ${p[0]} without new`,
          line: lineOf(node),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  for (const c of created) {
    if (prototypes.has(c.name)) continue;
    findings.push({
      rule: "builtin-instance",
      message: `${c.name} is a captured ${c.builtin} rebuilt as a plain object: its contents are lost`,
      line: lineOf(c.node),
    });
  }
  return findings.sort((a, b) => a.line - b.line);
}
