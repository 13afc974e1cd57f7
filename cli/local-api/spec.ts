import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { OpenApiDoc } from "../../functions/predict/spec";

/** api/openapi.yaml, the single source of the API contract. */
export const OPENAPI_PATH = path.resolve(__dirname, "..", "..", "api", "openapi.yaml");

export function loadOpenApi(file: string = OPENAPI_PATH): OpenApiDoc {
  return parse(fs.readFileSync(file, "utf8")) as OpenApiDoc;
}
