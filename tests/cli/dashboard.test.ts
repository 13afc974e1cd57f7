/**
 * The dashboard in front of the local API, as `warecast serve` wires it: its static routes, the login that gates
 * the config holding the API key (a one-time link, or the key in a form), the Host check against DNS rebinding,
 * and the same in headless Chromium (Debian's, through playwright-core).
 */
import * as http from "node:http";
import type { Browser } from "playwright-core";
import { dashboardHandler, webFile } from "../../cli/demo/dashboard";
import { DashboardLogin } from "../../cli/demo/dashboard-login";
import { startLocalApi, type LocalApi } from "../../cli/local-api/server";
import { localApiKey } from "../../cli/local-api/api-key";
import { makeTestDeps, quietObservability, type TestDeps } from "../functions/predict-support";
import { launchBrowser } from "../support/browser";

interface Dashboard {
  readonly api: LocalApi;
  readonly login: DashboardLogin;
  readonly port: number;
}

/** The local API with the dashboard in front, as `warecast serve` starts them (the endpoint is a fake). */
async function serveDashboard(t: TestDeps): Promise<Dashboard> {
  const key = localApiKey(t.workspace);
  const login = new DashboardLogin(key);
  const api = await startLocalApi({
    workspace: t.workspace,
    port: 0,
    endpoint: t.endpoint,
    obs: quietObservability(),
    extraHandler: dashboardHandler({ apiBase: "", apiKey: key }, login),
  });
  return { api, login, port: Number(new URL(api.url).port) };
}

let deps: TestDeps;
let api: LocalApi;
let login: DashboardLogin;
let port: number;

beforeAll(async () => {
  deps = makeTestDeps();
  ({ api, login, port } = await serveDashboard(deps));
});

afterAll(async () => {
  await api?.close();
});

/** A raw request (fetch would not let the test set Host), without following redirects. */
function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path, headers: { Host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const sessionOf = (setCookie: string[] | undefined) =>
  /warecast_session=([^;]+)/.exec(setCookie?.[0] ?? "")![1];

describe("dashboard routes", () => {
  it("serves the page, its scripts and Chart.js from the npm package to anyone", async () => {
    const page = await request("GET", "/");
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toContain('<canvas id="demand-chart"');
    expect((await request("GET", "/app.js")).headers["content-type"]).toMatch(/javascript/);
    const chart = await request("GET", "/vendor/chart.umd.min.js");
    expect(chart.status).toBe(200);
    expect(chart.body.length).toBeGreaterThan(100_000);
  });

  it("leaves the API, unknown files and anything outside web/ to the API (which wants a key)", async () => {
    for (const p of ["/v1/health", "/nope.js", "/..%2fpackage.json", "/%2e%2e/README.md", "/x.exe"])
      expect((await request("GET", p)).status).toBe(403);
    expect(webFile("/../package.json")).toBeUndefined();
    expect(webFile("/%E0%A4%A")).toBeUndefined();
  });

  it("gives the config (with the key) to a logged-in browser only: one-time link, then the session cookie", async () => {
    const anonymous = await request("GET", "/dashboard-config.json");
    expect(anonymous.status).toBe(403);
    expect(anonymous.headers["content-type"]).toBe("application/problem+json");
    expect(anonymous.body).not.toContain(api.apiKey);

    const link = login.loginPath!;
    const first = await request("GET", link);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    expect(first.headers["set-cookie"]![0]).toMatch(
      /^warecast_session=[A-Za-z0-9_-]{32}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
    const cookie = `warecast_session=${sessionOf(first.headers["set-cookie"])}`;
    const config = await request("GET", "/dashboard-config.json", { Cookie: cookie });
    expect(config.status).toBe(200);
    expect(JSON.parse(config.body)).toEqual({ apiBase: "", apiKey: api.apiKey });

    // The link is spent: a second use (another browser, someone reading the terminal) gets the login form.
    expect(login.loginPath).toBeUndefined();
    const again = await request("GET", link);
    expect(again.status).toBe(403);
    expect(again.body).toContain("This login link was used already or is not valid.");
    expect(again.headers["set-cookie"]).toBeUndefined();
    // The browser that used it is still in.
    expect((await request("GET", link, { Cookie: cookie })).status).toBe(303);
    expect(
      (await request("GET", "/dashboard-config.json", { Cookie: "warecast_session=forged" })).status,
    ).toBe(403);
  });

  it("logs another browser in with the API key posted in the form, never with a wrong one", async () => {
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const wrong = await request("POST", "/login", form, "key=not-the-key");
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain("That is not the API key of this server.");
    const right = await request("POST", "/login", form, `key=${encodeURIComponent(api.apiKey)}`);
    expect(right.status).toBe(303);
    const cookie = `warecast_session=${sessionOf(right.headers["set-cookie"])}`;
    expect((await request("GET", "/dashboard-config.json", { Cookie: cookie })).status).toBe(200);
  });

  it("refuses a request whose Host is not this server, the login and the config included", async () => {
    for (const p of ["/", "/login", "/dashboard-config.json"]) {
      const res = await request("GET", p, { Host: `rebound.example:${port}` });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).detail).toMatch(/^The Host header is "rebound\.example:\d+"/);
    }
  });
});

describe("dashboard login in headless Chromium", () => {
  let browser: Browser;
  let fresh: Dashboard;

  beforeAll(async () => {
    // A server of its own, so its one-time link is unspent (a restart of `warecast serve` prints a new one).
    fresh = await serveDashboard(deps);
    // rebound.test resolves to 127.0.0.1, as a DNS-rebinding attacker's name does after the rebind.
    browser = await launchBrowser(["--host-resolver-rules=MAP rebound.test 127.0.0.1"]);
  });

  afterAll(async () => {
    await browser?.close();
    await fresh?.api.close();
  });

  it("without the login the page says how to log in; the login link opens it with an HttpOnly cookie", async () => {
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    await page.goto(`${fresh.api.url}/`);
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toMatch(/Not logged in: open the login link/);
    await stranger.close();

    const user = await browser.newContext();
    const dashboard = await user.newPage();
    const pageErrors: string[] = [];
    dashboard.on("pageerror", (e) => pageErrors.push(e.message));
    await dashboard.goto(`${fresh.api.url}${fresh.login.loginPath}`);
    expect(dashboard.url()).toBe(`${fresh.api.url}/`);
    await dashboard.waitForFunction(
      () =>
        (globalThis as unknown as { warecastDashboard?: { ready: boolean } }).warecastDashboard?.ready ===
        true,
    );
    expect(await dashboard.isVisible("#error")).toBe(false);
    // The session cookie is there, and page scripts cannot read it.
    const cookies = await user.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ["warecast_session", true, "Strict"],
    ]);
    expect(
      await dashboard.evaluate(
        () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
      ),
    ).toBe("");
    expect(pageErrors).toEqual([]);
    await user.close();
  });

  it("a page under another name that resolves to 127.0.0.1 (DNS rebinding) gets neither the page nor the key", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`http://rebound.test:${fresh.port}/dashboard-config.json`);
    expect(res!.status()).toBe(403);
    expect(((await res!.json()) as { detail: string }).detail).toMatch(
      /^The Host header is "rebound\.test:\d+"/,
    );
    expect((await page.goto(`http://rebound.test:${fresh.port}/login`))!.status()).toBe(403);
    await context.close();
  });
});
