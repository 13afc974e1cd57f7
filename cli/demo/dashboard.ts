import * as fs from "node:fs/promises";
import type * as http from "node:http";
import * as path from "node:path";
import { problemResult } from "../../functions/predict/http";
import { PROBLEMS, problemType } from "../../functions/predict/problem";
import type { DashboardLogin } from "./dashboard-login";

const repoRoot = path.resolve(__dirname, "..", "..");
const WEB_DIR = path.join(repoRoot, "web");
/** Chart.js is served from the pinned npm package rather than a copy in the repository. */
const VENDOR: Record<string, string> = {
  "/vendor/chart.umd.min.js": path.join(repoRoot, "node_modules", "chart.js", "dist", "chart.umd.min.js"),
};
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** What the page reads from `dashboard-config.json`: where the API is and the key to call it with. */
export interface DashboardConfig {
  /** Base URL of the API; "" = the page's own origin. */
  readonly apiBase: string;
  readonly apiKey: string;
}

/** Resolves a URL path to a file under web/, or undefined when it is not one (no escaping the directory). */
export function webFile(urlPath: string): string | undefined {
  if (VENDOR[urlPath]) return VENDOR[urlPath];
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const rel = decoded === "/" ? "index.html" : decoded.replace(/^\/+/, "");
  const file = path.resolve(WEB_DIR, rel);
  if (!file.startsWith(WEB_DIR + path.sep)) return undefined;
  return TYPES[path.extname(file)] ? file : undefined;
}

/**
 * The dashboard's routes in front of the local API (startLocalApi's `extraHandler`): `/login` (DashboardLogin),
 * GET of web/ files and of `/dashboard-config.json`; everything else (the /v1 API) falls through. The config
 * hands the page the local API key, so only a logged-in browser gets it (a session cookie); the page files
 * themselves hold nothing secret.
 */
export function dashboardHandler(
  config: DashboardConfig,
  login: DashboardLogin,
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const urlPath = url.pathname;
    if (urlPath.startsWith("/v1/")) return false;
    if (await login.handle(req, res, url)) return true;
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (urlPath === "/dashboard-config.json") {
      const result = login.hasSession(req)
        ? { statusCode: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify(config) }
        : problemResult({
            type: problemType("forbidden"),
            title: PROBLEMS.forbidden.title,
            status: 403,
            detail:
              "Not logged in: open the login link `warecast serve` printed, or log in at /login with the API key.",
          });
      res.writeHead(result.statusCode, { ...result.headers, "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : result.body);
      return true;
    }
    const file = webFile(urlPath);
    if (!file) return false;
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      return false;
    }
    res.writeHead(200, {
      "Content-Type": TYPES[path.extname(file)],
      "Content-Length": body.length,
      "Cache-Control": "no-cache",
      "X-Content-Type-Options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}
