/**
 * Generates functions/predict/endpoint-contract.ts, the TypeScript types of the endpoint contract, from
 * schemas/endpoint.schema.json with json-schema-to-typescript. Run `npx tsx scripts/endpoint-types.ts` after
 * changing the schema; tests/contracts/endpoint.test.ts fails while the checked-in file is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, type JSONSchema } from "json-schema-to-typescript";
import * as prettier from "prettier";

const ROOT = path.join(__dirname, "..");
const SCHEMA_PATH = path.join(ROOT, "schemas", "endpoint.schema.json");
const TYPES_PATH = path.join(ROOT, "functions", "predict", "endpoint-contract.ts");

const BANNER = `/* Generated from schemas/endpoint.schema.json by scripts/endpoint-types.ts (json-schema-to-typescript).
 * Do not edit: change the schema and run \`npx tsx scripts/endpoint-types.ts\`. */`;

/** `seriesForecast` → `EndpointSeriesForecast`: every definition gets the prefix, so none shadows a global (Date). */
function typeName(key: string): string {
  return `Endpoint${key[0].toUpperCase()}${key.slice(1)}`;
}

/** The generated module's text, formatted with the project's Prettier settings. */
export async function endpointTypes(): Promise<string> {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")) as JSONSchema & {
    $defs: Record<string, JSONSchema>;
  };
  // Titles name the generated types (a $ref's target is otherwise named after its key).
  for (const [key, def] of Object.entries(schema.$defs)) def.title = typeName(key);
  const ts = await compile(schema, "EndpointMessage", {
    bannerComment: BANNER,
    // The limits stay in the schema (and ajv checks them); tuple unions of up to 99 members help no one.
    ignoreMinAndMaxItems: true,
    additionalProperties: false,
    unreachableDefinitions: true,
    format: false,
  });
  const options = await prettier.resolveConfig(TYPES_PATH);
  return prettier.format(ts, { ...options, filepath: TYPES_PATH });
}

// `--stdout` prints instead of writing (the test compares that with the checked-in file).
if (require.main === module) {
  endpointTypes()
    .then((text) =>
      process.argv.includes("--stdout") ? process.stdout.write(text) : fs.writeFileSync(TYPES_PATH, text),
    )
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
