import type Ajv from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import { ApiProblem, clip, type FieldError } from "./problem";

/** The parts of an OpenAPI 3.0 document this module reads. The document itself is api/openapi.yaml, parsed. */
export interface OpenApiDoc {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, OpenApiOperation | unknown>>;
  readonly components: { readonly schemas: Record<string, unknown>; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly [k: string]: unknown;
}

export const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

const SCHEMA_ID = "warecast-api";
const COMPONENT_REF = "#/components/schemas/";

/** Deep copy of a schema with `#/components/schemas/X` refs pointed at the combined ajv schema's `$defs/X`. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] =
      k === "$ref" && typeof v === "string" && v.startsWith(COMPONENT_REF)
        ? `${SCHEMA_ID}#/$defs/${v.slice(COMPONENT_REF.length)}`
        : rewriteRefs(v);
  }
  return out;
}

/** Formats an ajv error as a field pointer (prefixed, e.g. /body) and a message a client can act on. */
function toFieldError(prefix: string, e: ErrorObject): FieldError {
  let field = prefix + e.instancePath;
  let message = e.message ?? "is invalid";
  if (e.keyword === "required") field += `/${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === "required") message = "is required";
  if (e.keyword === "additionalProperties") {
    field += `/${clip((e.params as { additionalProperty: string }).additionalProperty)}`;
    message = "is not a known field";
  }
  if (e.keyword === "enum")
    message += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
  const alternatives =
    e.keyword === "oneOf" && Array.isArray(e.schema) ? (e.schema as { required?: string[] }[]) : [];
  if (alternatives.length > 0 && alternatives.every((a) => a.required?.length === 1))
    message = `must have exactly one of ${alternatives.map((a) => a.required![0]).join(", ")}`;
  return { field: field || "/", message };
}

/**
 * Field errors of one validation, at most 20. A failed `oneOf` is one error naming its alternatives: the
 * alternatives' own errors (each "is required") would only repeat it.
 */
function toFieldErrors(prefix: string, errors: readonly ErrorObject[]): FieldError[] {
  const oneOf = errors.filter((e) => e.keyword === "oneOf");
  const insideOneOf = (e: ErrorObject) =>
    oneOf.some((o) => e.instancePath === o.instancePath && e.schemaPath.startsWith(`${o.schemaPath}/`));
  return errors
    .filter((e) => !insideOneOf(e))
    .slice(0, 20)
    .map((e) => toFieldError(prefix, e));
}

/**
 * Validators compiled once from the spec's component schemas. The ajv instance is passed in (see ./ajv.ts,
 * `createApiAjv`): code that Pulumi serializes into a Lambda must not capture ajv's module, which its closure
 * serializer cannot handle; the Lambda requires ajv at cold start instead.
 */
export class ApiSchemas {
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly fragments = new WeakMap<object, ValidateFunction>();
  /** The spec's routes (routesOf), built once with the validators. */
  readonly routes: readonly Route[];

  constructor(
    readonly spec: OpenApiDoc,
    private readonly ajv: Ajv,
  ) {
    this.routes = routesOf(spec);
    // OpenAPI annotation keywords that are not JSON Schema.
    this.ajv.addVocabulary(["example", "xml", "externalDocs"]);
    this.ajv.addSchema({ $id: SCHEMA_ID, $defs: rewriteRefs(spec.components.schemas) });
  }

  private compiled(name: string): ValidateFunction {
    let fn = this.cache.get(name);
    if (!fn) {
      if (!(name in this.spec.components.schemas))
        throw new Error(`no schema ${name} in the OpenAPI document`);
      fn = this.ajv.compile({ $ref: `${SCHEMA_ID}#/$defs/${name}` });
      this.cache.set(name, fn);
    }
    return fn;
  }

  /** Field errors of a value against components.schemas[name] (empty = valid); fields start with `prefix`. */
  errors(name: string, value: unknown, prefix = ""): FieldError[] {
    const fn = this.compiled(name);
    if (fn(value)) return [];
    // allErrors lists one error per failing keyword; a field with several gets several messages, which is fine.
    return toFieldErrors(prefix, fn.errors ?? []);
  }

  /** Returns the value typed as T, or throws a 400 problem listing every field error. */
  parse<T>(name: string, value: unknown, prefix: string): T {
    const errors = this.errors(name, value, prefix);
    if (errors.length > 0) {
      throw new ApiProblem("invalid", "The request does not match the API contract.", { errors });
    }
    return value as T;
  }

  /** Validates any JSON Schema fragment of the spec (e.g. a response or parameter schema with refs). */
  errorsForSchema(schema: object, value: unknown, prefix = ""): FieldError[] {
    let fn = this.fragments.get(schema);
    if (!fn) {
      fn = this.ajv.compile(rewriteRefs(schema) as object);
      this.fragments.set(schema, fn);
    }
    if (fn(value)) return [];
    return toFieldErrors(prefix, fn.errors ?? []);
  }
}

/** The request arrays whose size the stack sets: one call's series (and items), one job's series. */
export interface RequestLimits {
  readonly maxSeriesPerRequest: number;
  readonly maxSeriesPerJob: number;
}

/**
 * The spec as one stack serves it: api/openapi.yaml states the default limits (100 series per call, 100,000 per
 * job); a stack with others gets a copy whose `maxItems` are its own. The handler validates with it and API
 * Gateway imports it, so both enforce exactly what the served document says.
 */
export function withRequestLimits(spec: OpenApiDoc, limits: RequestLimits): OpenApiDoc {
  const copy = JSON.parse(JSON.stringify(spec)) as OpenApiDoc;
  const props = (name: string) =>
    (copy.components.schemas[name] as { properties: Record<string, { maxItems?: number }> }).properties;
  props("ForecastRequest").series.maxItems = limits.maxSeriesPerRequest;
  props("RecommendationRequest").items.maxItems = limits.maxSeriesPerRequest;
  props("ForecastJobRequest").series.maxItems = limits.maxSeriesPerJob;
  return copy;
}

/** One route of the spec: its method, path template and a matcher that extracts path parameters. */
export interface Route {
  readonly method: string;
  readonly template: string;
  readonly operationId: string;
  /** The operation takes a request body (which must then be JSON). */
  readonly hasBody: boolean;
  match(path: string): Record<string, string> | undefined;
}

/** Routes straight from the spec's paths, so the handler answers exactly what the contract declares. */
export function routesOf(spec: OpenApiDoc): Route[] {
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    const names: string[] = [];
    const pattern = template
      .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
      .replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
    const regex = new RegExp(`^${pattern}/?$`);
    for (const method of HTTP_METHODS) {
      const op = item[method] as OpenApiOperation | undefined;
      if (!op) continue;
      routes.push({
        method: method.toUpperCase(),
        template,
        operationId: op.operationId,
        hasBody: op.requestBody !== undefined,
        match(path: string) {
          const m = regex.exec(path);
          if (!m) return undefined;
          const params: Record<string, string> = {};
          names.forEach((n, i) => {
            params[n] = safeDecode(m[i + 1]);
          });
          return params;
        },
      });
    }
  }
  return routes;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
