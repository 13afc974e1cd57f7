import { parquetDecoder, type Hyparquet } from "../../functions/predict/parquet";
import type { ParquetDecoder } from "../../functions/predict/series-state";

/**
 * hyparquet's decoder for local mode and tests. hyparquet is ESM-only: Node ≥ 20.19 can require() it, but
 * jest's module runtime cannot, so it is loaded through Node's own loader (process.getBuiltinModule bypasses
 * jest's module registry). In Lambda the component requires it directly.
 */
export function loadParquetDecoder(): ParquetDecoder {
  const nodeModule = process.getBuiltinModule("node:module") as typeof import("node:module");
  return parquetDecoder(nodeModule.createRequire(__filename)("hyparquet") as Hyparquet);
}
