import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The local API key lives in the workspace (`<workspace>/api-key`, mode 0600), created on first use. */
export function localApiKey(workspace: string): string {
  const file = path.join(workspace, "api-key");
  try {
    const key = fs.readFileSync(file, "utf8").trim();
    if (key) return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  fs.mkdirSync(workspace, { recursive: true });
  const key = randomBytes(24).toString("base64url");
  fs.writeFileSync(file, key + "\n", { mode: 0o600 });
  return key;
}

/** Constant-time comparison, so the key cannot be guessed byte by byte from response times. */
export function keyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
