import type { Observability } from "../powertools";
import type { PredictConfig } from "./config";
import type { ForecastEndpoint } from "./endpoint-client";
import type { ForecastJobs } from "../forecast-jobs";
import type { ModelProbeCache } from "./health-route";
import type { ItemMasterReader } from "./item-master";
import type { ObjectStore } from "./object-store";
import type { ModelMetricsSource } from "./model-route";
import type { ParquetDecoder, SeriesStateReader } from "./series-state";
import type { ServedForecastLog, ServedLogTally } from "./served-log";
import type { ApiSchemas } from "./spec";

/** Everything the predict handler uses, built once per cold start and injected (tests pass fakes). */
export interface PredictDeps {
  readonly config: PredictConfig;
  /** Validators compiled from api/openapi.yaml. */
  readonly schemas: ApiSchemas;
  readonly seriesState: SeriesStateReader;
  readonly itemMaster: ItemMasterReader;
  readonly endpoint: ForecastEndpoint;
  /** The last model probe (health and model routes); mutable, one per deps. */
  readonly modelProbe: ModelProbeCache;
  readonly servedLog: ServedForecastLog;
  /** What the served-forecast log did since this instance started (shown by /v1/health). */
  readonly servedLogTally: ServedLogTally;
  /** The processed store (ETL run manifests under runs/). */
  readonly processed: ObjectStore;
  readonly jobs: ForecastJobs;
  /** Decodes Parquet from the processed store (series_state, accuracy). */
  readonly decodeParquet: ParquetDecoder;
  /** The served model's metrics.json (GET /v1/model); without it the route answers without a backtest. */
  readonly modelMetrics?: ModelMetricsSource;
  readonly obs: Observability;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/** Per-request context handed to each route. */
export interface RequestContext {
  readonly requestId: string;
  readonly now: Date;
  /** Base URL of the API as the client called it (for Location headers). */
  readonly baseUrl: string;
}
