import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { API_AJV_OPTIONS, ENDPOINT_AJV_OPTIONS } from "./ajv-options";

/** The ajv instance ApiSchemas compiles with (API_AJV_OPTIONS), with formats such as date and date-time. */
export function createApiAjv(): Ajv {
  const ajv = new Ajv(API_AJV_OPTIONS);
  addFormats(ajv);
  return ajv;
}

/** The ajv instance CheckedEndpoint compiles schemas/endpoint.schema.json with (JSON Schema 2020-12, formats). */
export function createEndpointAjv(): Ajv2020 {
  const ajv = new Ajv2020(ENDPOINT_AJV_OPTIONS);
  addFormats(ajv);
  return ajv;
}
