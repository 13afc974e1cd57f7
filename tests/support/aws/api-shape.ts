import { spawnSync } from "node:child_process";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..", "..");

/**
 * The problems of `request` against the documented input shape of `service`'s `operation` (botocore's service
 * model, the one the AWS CLI validates with): empty when it conforms. For APIs moto records without checking.
 */
export function apiShapeProblems(service: string, operation: string, request: unknown): string[] {
  const out = spawnSync(
    path.join(REPO, ".venv", "bin", "python"),
    [path.join(__dirname, "api_shape.py"), service, operation],
    { input: JSON.stringify(request), encoding: "utf8" },
  );
  if (out.status !== 0) throw new Error(`api_shape.py failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as string[];
}
