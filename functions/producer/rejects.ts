import * as fs from "node:fs";
import * as path from "node:path";
import type { Rejection } from "./types";

/**
 * Writes every undelivered record to an NDJSON file, one object per line:
 * `{"stage","file","line","reason","raw"}`. `raw` is the original text (an NDJSON line or a CSV row), so a
 * fixed record can be re-sent and nothing is lost; a line that is not UTF-8 also gets `raw_base64`, its exact
 * bytes.
 */
export class RejectFile {
  private readonly out: fs.WriteStream;
  private failure: Error | undefined;
  count = 0;

  constructor(readonly filePath: string) {
    fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
    this.out = fs.createWriteStream(filePath);
    this.out.on("error", (err) => (this.failure ??= err));
  }

  readonly write = (r: Rejection): void => {
    this.count++;
    const row = { stage: r.stage, file: r.ref.file, line: r.ref.line, reason: r.reason, raw: r.raw };
    const bytes =
      r.rawBytes && !Buffer.from(r.raw, "utf8").equals(r.rawBytes)
        ? { raw_base64: Buffer.from(r.rawBytes).toString("base64") }
        : {};
    this.out.write(JSON.stringify({ ...row, ...bytes }) + "\n");
  };

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    if (this.failure) throw new Error(`cannot write reject file ${this.filePath}: ${this.failure.message}`);
  }
}
