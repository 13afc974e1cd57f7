import { z } from "zod";
import { formatIssues } from "../lambda-wiring";

/**
 * The tuned-hyperparameters document (model/params.py writes and reads the same shape): what the tune function
 * writes when a tuning job completes, what `warecast tune --out` writes locally, and what retraining and
 * `warecast train --params` read. Only `hyperParameters` is applied; the rest says where the values came from.
 */
const tunedParamsSchema = () =>
  z
    .object({
      tuningJobName: z.string().min(1).nullable(),
      source: z.enum(["sagemaker", "local"]),
      objective: z.object({ metric: z.string().min(1), type: z.enum(["Minimize", "Maximize"]) }),
      score: z.number().finite(),
      hyperParameters: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])),
    })
    .passthrough();
export type TunedParams = z.infer<ReturnType<typeof tunedParamsSchema>>;

export const tunedParamsDocumentSchema = tunedParamsSchema;

/** Parses a document's text; the error says what is wrong and where (`where` names the file or object). */
export function parseTunedParams(text: string, where: string): TunedParams {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not JSON: ${(err as Error).message}`);
  }
  const parsed = tunedParamsSchema().safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${where} is not a tuned-hyperparameters document (as \`warecast tune --out\` writes): ${formatIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** The hyperparameters as SageMaker takes them: every value a string. */
export function hyperParameterStrings(p: Pick<TunedParams, "hyperParameters">): Record<string, string> {
  return Object.fromEntries(Object.entries(p.hyperParameters).map(([k, v]) => [k, String(v)]));
}
