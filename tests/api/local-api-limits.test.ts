/**
 * What the local API does before the handler, as API Gateway does in AWS: the URL and header limits (414, 431),
 * the Host check, the key (403) before the body is read, then the body limit (413 body-too-large). Every answer
 * is problem+json and one the spec declares. Raw HTTP requests, so the Host header and sizes are the test's.
 */
import * as http from "node:http";
import { startLocalApi, type LocalApi } from "../../cli/local-api/server";
import { makeTestDeps, quietObservability } from "../functions/predict-support";
import { responseErrors } from "./conformance";

let api: LocalApi;
let port: number;

beforeAll(async () => {
  const t = makeTestDeps();
  api = await startLocalApi({
    workspace: t.workspace,
    port: 0,
    endpoint: t.endpoint,
    obs: quietObservability(),
  });
  port = Number(new URL(api.url).port);
});

afterAll(async () => {
  await api?.close();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Bytes of the request body the server had read when it answered (as far as the client could send). */
  sent: number;
}

/** One raw request; `bodyBytes` of "x" are streamed in 64 KiB chunks unless the server answers first. */
function request(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  bodyBytes = 0,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, setHost: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body, sent }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      // The server may close the connection once it has answered a request it will not read.
      if (err.code !== "EPIPE" && err.code !== "ECONNRESET") reject(err);
    });
    const chunk = Buffer.alloc(64 * 1024, "x");
    const pump = () => {
      while (sent < bodyBytes) {
        const n = Math.min(chunk.length, bodyBytes - sent);
        sent += n;
        if (!req.write(chunk.subarray(0, n))) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

const host = () => ({ Host: `127.0.0.1:${port}` });
const key = () => ({ ...host(), "x-api-key": api.apiKey });

function problem(a: Answer, status: number, slug: string): { detail: string } {
  expect(a.status).toBe(status);
  expect(a.headers["content-type"]).toBe("application/problem+json");
  const body = JSON.parse(a.body) as { type: string; status: number; detail: string };
  expect(body.type).toBe(`https://warecast.dev/problems/${slug}`);
  expect(body.status).toBe(status);
  return body;
}

const ELEVEN_MB = 11 * 1024 * 1024;

it("checks the key before the body: no key and 11 MB is a 403, and the body is not read", async () => {
  const a = await request("POST", "/v1/forecasts", { ...host(), "Content-Length": ELEVEN_MB }, ELEVEN_MB);
  expect(problem(a, 403, "forbidden").detail).toBe("Missing or invalid API key (x-api-key header).");
  expect(a.sent).toBeLessThan(ELEVEN_MB);
});

it("413 body-too-large after the key, by Content-Length or by what arrives", async () => {
  const declared = await request(
    "POST",
    "/v1/forecasts",
    { ...key(), "Content-Type": "application/json", "Content-Length": ELEVEN_MB },
    ELEVEN_MB,
  );
  expect(problem(declared, 413, "body-too-large").detail).toMatch(/over 10485760 bytes/);
  const chunked = await request(
    "POST",
    "/v1/forecasts",
    { ...key(), "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
    ELEVEN_MB,
  );
  problem(chunked, 413, "body-too-large");
  const errors = responseErrors(api.deps.schemas, "POST", "/v1/forecasts", {
    statusCode: declared.status,
    body: declared.body,
    headers: declared.headers as Record<string, string>,
  });
  expect(errors).toEqual([]);
});

it("414 for a URL over 8,192 characters and 431 for headers over 10 KiB, as problems", async () => {
  const longUrl = await request("GET", `/v1/series?warehouse_id=${"W".repeat(20_000)}`, key());
  expect(problem(longUrl, 414, "uri-too-long").detail).toBe(
    "The URL is 20024 characters; at most 8192 are accepted.",
  );
  const bigHeaders = await request("GET", "/v1/health", { ...key(), "x-padding": "p".repeat(12_000) });
  expect(problem(bigHeaders, 431, "headers-too-large").detail).toMatch(
    /^The headers are \d+ bytes; at most 10240/,
  );
  // Past even Node's own parser limit: still a problem, not an empty body.
  const huge = await request("GET", "/v1/health", { ...key(), "x-padding": "p".repeat(200_000) });
  problem(huge, 431, "headers-too-large");
  for (const [a, status] of [
    [longUrl, 414],
    [bigHeaders, 431],
  ] as const) {
    const errors = responseErrors(api.deps.schemas, "GET", "/v1/health", {
      statusCode: status,
      body: a.body,
      headers: a.headers as Record<string, string>,
    });
    expect(errors).toEqual([]);
  }
});

it("answers only requests addressed to itself (the Host header), so a rebinding page gets nothing", async () => {
  for (const h of ["evil.example", `evil.example:${port}`, "127.0.0.1:1"]) {
    const a = await request("GET", "/v1/health", { ...key(), Host: h });
    expect(problem(a, 403, "forbidden").detail).toBe(
      `The Host header is "${h}"; this server is 127.0.0.1:${port} (or localhost:${port}).`,
    );
  }
  expect((await request("GET", "/v1/health", { ...key(), Host: `localhost:${port}` })).status).toBe(200);
  expect((await request("GET", "/v1/health", key())).status).toBe(200);
});
