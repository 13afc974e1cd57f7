import Ajv from "ajv";
import addFormats from "ajv-formats";

/** The ajv instance ApiSchemas compiles with (all errors reported, strict, formats such as date and date-time). */
export function createApiAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv;
}
