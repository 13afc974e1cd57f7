import * as fs from "node:fs";
import * as path from "node:path";
import { BUNDLED_DATA } from "../../cli/demo/stages";

/**
 * A slice of the bundled wide daily CSV: a few SKUs (their QTY_ and PROMO_ columns) from `from` on, so the whole
 * pipeline runs in minutes. Same layout as the original, so `warecast import` treats it the same way.
 */
export function writeSlice(file: string, skus: readonly string[], from: string): { rows: number } {
  const lines = fs
    .readFileSync(BUNDLED_DATA, "utf8")
    .split(/\r?\n/)
    .filter((l) => l !== "");
  const header = lines[0].split(",");
  const wanted = ["DATE", ...skus.map((s) => `QTY_${s}`), ...skus.map((s) => `PROMO_${s}`)];
  const idx = wanted.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new Error(`no column ${c} in ${BUNDLED_DATA}`);
    return i;
  });
  const body = lines
    .slice(1)
    .map((l) => l.split(","))
    .filter((cells) => cells[0] >= from)
    .map((cells) => idx.map((i) => cells[i]).join(","));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, [wanted.join(","), ...body].join("\n") + "\n");
  return { rows: body.length };
}
