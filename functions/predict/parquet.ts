import type { ParquetDecoder } from "./series-state";

/** The one hyparquet call the API makes. hyparquet is ESM-only, so callers load it and pass it in. */
export interface Hyparquet {
  parquetReadObjects(options: { file: ArrayBuffer }): Promise<Record<string, unknown>[]>;
}

/** Wraps a loaded hyparquet module as a ParquetDecoder. */
export function parquetDecoder(hyparquet: Hyparquet): ParquetDecoder {
  return async (bytes) => {
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return hyparquet.parquetReadObjects({ file });
  };
}
