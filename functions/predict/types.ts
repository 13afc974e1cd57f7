/** Shapes of the API's requests and responses (api/openapi.yaml is the authority; these mirror it). */
import type { QuantileMap } from "./endpoint-client";
import type { FutureDay } from "./forecast-service";

export interface ForecastPointOut {
  readonly date: string;
  readonly step: number;
  readonly mean: number;
  readonly quantiles: QuantileMap;
}

export interface SeriesForecastOut {
  readonly warehouse_id: string;
  readonly sku: string;
  readonly method: string;
  readonly last_data_date: string;
  readonly points: ForecastPointOut[];
}

export interface ForecastRequestBody {
  readonly series: { warehouse_id: string; sku: string; future?: FutureDay[] }[];
  readonly horizon?: number;
  readonly quantiles?: number[];
}

export interface RecommendationItemBody {
  readonly warehouse_id: string;
  readonly sku: string;
  readonly lead_time_days?: number;
  readonly review_period_days?: number;
  readonly service_level?: number;
  readonly on_hand?: number;
  readonly on_order?: number;
  readonly moq?: number;
  readonly pack_size?: number;
}

export interface RecommendationRequestBody {
  readonly items: RecommendationItemBody[];
}

export interface ForecastJobRequestBody {
  readonly warehouse_ids?: string[];
  readonly series?: { warehouse_id: string; sku: string }[];
  readonly horizon?: number;
  readonly quantiles?: number[];
}
