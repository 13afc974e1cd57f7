import Ajv from "ajv";
import addFormats from "ajv-formats";
import { API_AJV_OPTIONS } from "./ajv-options";

/** The ajv instance ApiSchemas compiles with (API_AJV_OPTIONS), with formats such as date and date-time. */
export function createApiAjv(): Ajv {
  const ajv = new Ajv(API_AJV_OPTIONS);
  addFormats(ajv);
  return ajv;
}
