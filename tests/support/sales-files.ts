import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A wide daily file like the bundled sample, written into `dir`: `days` days of two items with a weekly
 * pattern, one with promos.
 */
export function wideSalesFile(dir: string, days: number): string {
  const rows = ["DATE,QTY_A,QTY_B,PROMO_A"];
  const start = Date.UTC(2017, 0, 2);
  for (let d = 0; d < days; d++) {
    const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
    const promo = d % 9 === 0 ? 1 : 0;
    rows.push(`${date},${3 + (d % 7) + 4 * promo},${10 + ((d * 3) % 7)},${promo}`);
  }
  const p = path.join(dir, `wide-${days}.csv`);
  fs.writeFileSync(p, rows.join("\n") + "\n");
  return p;
}
