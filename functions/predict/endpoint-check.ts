import type Ajv2020 from "ajv/dist/2020";
import type { ValidateFunction } from "ajv/dist/2020";
import endpointSchema from "../../schemas/endpoint.schema.json";
import type {
  EndpointCallStats,
  EndpointRequest,
  EndpointResponse,
  ForecastEndpoint,
} from "./endpoint-client";
import { ApiProblem } from "./problem";

// As text, parsed per instance: Pulumi's closure serializer cannot capture the imported schema object itself
// (it mistakes its `default` keywords for a module's default export).
const SCHEMA_TEXT = JSON.stringify(endpointSchema);
const SCHEMA_ID = endpointSchema.$id;

/**
 * The endpoint as the handlers see it: every answer is checked against schemas/endpoint.schema.json
 * (`#/$defs/response`) before anything reads it, so a model container that drifts from the contract gets a 502
 * naming the first broken field, never a half-read forecast. The ajv instance (JSON Schema 2020-12, with formats)
 * is passed in: code Pulumi serializes into a Lambda must not capture ajv's modules (see ./spec.ts).
 */
export class CheckedEndpoint implements ForecastEndpoint {
  private readonly validate: ValidateFunction;

  constructor(
    private readonly inner: ForecastEndpoint,
    ajv: Ajv2020,
  ) {
    if (!ajv.getSchema(SCHEMA_ID)) ajv.addSchema(JSON.parse(SCHEMA_TEXT) as object);
    this.validate = ajv.getSchema(`${SCHEMA_ID}#/$defs/response`) as ValidateFunction;
  }

  async invoke(request: EndpointRequest): Promise<{ response: EndpointResponse; stats: EndpointCallStats }> {
    const out = await this.inner.invoke(request);
    if (!this.validate(out.response)) {
      const first = this.validate.errors?.[0];
      const where = first ? `${first.instancePath || "(root)"} ${first.message ?? ""}`.trim() : "unknown";
      throw new ApiProblem(
        "badGateway",
        `The forecast endpoint's answer does not follow its contract (${where}).`,
      );
    }
    return out;
  }
}
