import type Ajv from "ajv";
import type Ajv2020 from "ajv/dist/2020";
import type { Observability } from "../powertools";
import { ForecastJobs, type JobQueue } from "../forecast-jobs";
import { validatePredictConfig, type PredictConfig } from "./config";
import type { PredictDeps } from "./deps";
import { CheckedEndpoint } from "./endpoint-check";
import type { ForecastEndpoint } from "./endpoint-client";
import { ItemMasterReader } from "./item-master";
import type { ModelMetricsSource } from "./model-route";
import type { ObjectStore } from "./object-store";
import { SeriesStateReader, type ParquetDecoder } from "./series-state";
import { ServedLogTally, type ServedForecastLog } from "./served-log";
import { ApiSchemas, withRequestLimits, type OpenApiDoc } from "./spec";

export interface PredictDepsInput {
  /** api/openapi.yaml, parsed. */
  readonly spec: OpenApiDoc;
  /** A fresh ajv instance with formats (createApiAjv(); in Lambda built from required modules). */
  readonly ajv: Ajv;
  /** A fresh JSON Schema 2020-12 ajv with formats, for the endpoint's answers (createEndpointAjv()). */
  readonly endpointAjv: Ajv2020;
  readonly config: PredictConfig;
  /** The processed store: series_state/, item_master/, runs/. */
  readonly processed: ObjectStore;
  /** The PredictionApi's own store for job documents and results. */
  readonly jobsStore: ObjectStore;
  readonly jobQueue: JobQueue;
  readonly endpoint: ForecastEndpoint;
  readonly servedLog: ServedForecastLog;
  readonly decodeParquet: ParquetDecoder;
  readonly obs: Observability;
  /** The served model's metrics.json, for GET /v1/model (optional). */
  readonly modelMetrics?: ModelMetricsSource;
  /** Lifetime of presigned job result links. Default 3600 s. */
  readonly linkTtlSeconds?: number;
}

/** Wires the handler's dependencies the same way in Lambda and in local mode. */
export function buildPredictDeps(input: PredictDepsInput): PredictDeps {
  const config = validatePredictConfig(input.config);
  const schemas = new ApiSchemas(withRequestLimits(input.spec, config), input.ajv);
  if (schemas.errors("Horizon", config.defaultHorizonDays).length > 0)
    throw new Error(
      `PredictConfig.defaultHorizonDays (${config.defaultHorizonDays}) is not a Horizon the API accepts`,
    );
  return {
    config,
    schemas,
    seriesState: new SeriesStateReader(input.processed, input.decodeParquet),
    itemMaster: new ItemMasterReader(input.processed),
    endpoint: new CheckedEndpoint(input.endpoint, input.endpointAjv),
    modelProbe: {},
    servedLog: input.servedLog,
    servedLogTally: new ServedLogTally(),
    processed: input.processed,
    jobs: new ForecastJobs(input.jobsStore, input.jobQueue, { linkTtlSeconds: input.linkTtlSeconds ?? 3600 }),
    obs: input.obs,
    decodeParquet: input.decodeParquet,
    ...(input.modelMetrics ? { modelMetrics: input.modelMetrics } : {}),
  };
}
