import { z } from "zod";

/**
 * Where the predict and job-worker functions find their AWS resources: the PredictionApi component writes this
 * (WARECAST_PREDICT_SETTINGS) and both functions parse it at cold start (functions/lambda-wiring.ts). The
 * behaviour settings (limits, defaults: PredictConfig) travel in the code, not here.
 */
export const predictSettingsSchema = () =>
  z.object({
    /** The SageMaker endpoint forecasts come from. */
    endpointName: z.string().min(1),
    /** The ETL's tables: series_state/, demand_daily/, accuracy/. */
    processedBucket: z.string().min(3),
    /** Bulk forecast job documents and results. */
    jobsBucket: z.string().min(3),
    /** The queue of job work (an SQS queue URL). */
    jobsQueueUrl: z.url(),
    /** The Firehose stream served forecasts are logged to. */
    forecastStream: z.string().min(1),
    /** Where the promote function publishes each model version's metrics.json (GET /v1/model). Default: absent. */
    modelMetrics: z.object({ bucket: z.string().min(3), prefix: z.string() }).optional(),
  });
export type PredictSettings = z.infer<ReturnType<typeof predictSettingsSchema>>;
export const PREDICT_SETTINGS_VARIABLE = "WARECAST_PREDICT_SETTINGS";
