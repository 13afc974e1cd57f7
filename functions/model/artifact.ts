import { Parser, type ReadEntry } from "tar";

/**
 * Reads named members out of a model.tar.gz held in memory. SageMaker packs /opt/ml/model with or without a
 * leading `./`, so both spellings match. Members are small JSON files, so they are buffered.
 */
export async function readTarMembers(
  archive: Uint8Array,
  names: readonly string[],
): Promise<Map<string, Buffer>> {
  const wanted = new Set(names);
  const found = new Map<string, Buffer>();
  return new Promise((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const name = entry.path.replace(/^\.\//, "");
        if (entry.type !== "File" || !wanted.has(name)) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => found.set(name, Buffer.concat(chunks)));
      },
    });
    parser.on("error", (err: Error) =>
      reject(new Error(`model artifact is not a readable tar.gz: ${err.message}`)),
    );
    parser.on("end", () => resolve(found));
    parser.end(Buffer.from(archive));
  });
}
