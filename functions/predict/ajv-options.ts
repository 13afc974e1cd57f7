/**
 * How the API's ajv instance is configured, in a module of its own (no imports), so the Lambda wiring can use the
 * same options without capturing ajv itself (Pulumi's closure serializer cannot handle ajv's modules).
 * All errors reported; strict, but for `required` outside `properties` (a `oneOf` of alternatives such as
 * `required: [warehouse_ids]` or `required: [series]` names fields its parent schema defines); verbose, so an
 * error carries the schema that failed and its message can name what was expected.
 */
export const API_AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  strictRequired: false,
  verbose: true,
} as const;

/** The endpoint contract's ajv (JSON Schema 2020-12, schemas/endpoint.schema.json): strict, first error is enough. */
export const ENDPOINT_AJV_OPTIONS = { strict: true } as const;
