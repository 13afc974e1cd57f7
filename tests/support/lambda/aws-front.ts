/**
 * What the artifact tests put where AWS would be, all on 127.0.0.1:
 *
 * - `front`: every AWS API call of a function (AWS_ENDPOINT_URL) goes to moto through this proxy, which changes
 *   only what the pinned moto lacks, so the shipped code, which cannot be patched, reads AWS's shapes: SageMaker
 *   UpdateEndpoint (not implemented in moto) is recorded and answered as AWS does, and from then on
 *   DescribeEndpoint reports the new endpoint config, as after a finished update; a test may make
 *   DescribeEndpoint report a status moto never reaches (an endpoint that is Updating); and, since moto completes
 *   every tuning job at once with a canned best trial that is nobody's, a test may set the best trial that
 *   DescribeHyperParameterTuningJob reports for a tuning job (what a real run would have found).
 * - `endpoint`: the SageMaker Runtime (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME). It answers InvokeEndpoint for the
 *   stack's endpoint name with the contract-following fake forecast of the API tests, after validating the request
 *   against schemas/endpoint.schema.json; other names get SageMaker's ValidationError.
 * - `xray`: a UDP socket standing in for the X-Ray daemon (AWS_XRAY_DAEMON_ADDRESS); it keeps the segments sent.
 */
import * as dgram from "node:dgram";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { fakeForecast, validateEndpointRequest } from "../../functions/predict-support";
import type { EndpointRequest, EndpointResponse } from "../../../functions/predict/endpoint-client";

export interface RecordedCall {
  readonly target: string;
  readonly body: Record<string, unknown>;
}

export interface AwsFront {
  /** http://127.0.0.1:PORT for AWS_ENDPOINT_URL. */
  readonly url: string;
  /** Calls the front answered itself (SageMaker.UpdateEndpoint), in order. */
  readonly answered: RecordedCall[];
  /** JSON-protocol targets seen (e.g. "AWSGlue.StartJobRun"), in order. */
  readonly targets: string[];
  /** Makes DescribeEndpoint of `name` report `status` (undefined: moto's own). */
  setEndpointStatus(name: string, status: string | undefined): void;
  /** Makes DescribeHyperParameterTuningJob of `name` report `best` as its BestTrainingJob. */
  setTuningBest(name: string, best: Record<string, unknown>): void;
  close(): Promise<void>;
}

export interface StubEndpoint {
  readonly url: string;
  readonly requests: { endpointName: string; request: EndpointRequest }[];
  modelVersion: string;
  modelKind: EndpointResponse["model_kind"];
  close(): Promise<void>;
}

export interface XrayDaemon {
  /** 127.0.0.1:PORT for AWS_XRAY_DAEMON_ADDRESS. */
  readonly address: string;
  /** Segment documents received (the JSON after the daemon header line). */
  readonly segments: Record<string, unknown>[];
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startAwsFront(motoUrl: string, region: string, accountId: string): Promise<AwsFront> {
  const moto = new URL(motoUrl);
  const answered: RecordedCall[] = [];
  const targets: string[] = [];
  const statuses = new Map<string, string>();
  const configs = new Map<string, string>();
  const tuningBest = new Map<string, Record<string, unknown>>();

  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target) targets.push(target);
      if (target === "SageMaker.UpdateEndpoint") {
        const input = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
        answered.push({ target, body: input });
        configs.set(String(input.EndpointName), String(input.EndpointConfigName));
        const arn = `arn:aws:sagemaker:${region}:${accountId}:endpoint/${String(input.EndpointName).toLowerCase()}`;
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ EndpointArn: arn }));
        return;
      }
      const upstream = await forward(moto, req, body);
      const payload =
        target === "SageMaker.DescribeEndpoint" && upstream.status === 200
          ? Buffer.from(overrideEndpoint(upstream.body.toString("utf8"), statuses, configs))
          : target === "SageMaker.DescribeHyperParameterTuningJob" && upstream.status === 200
            ? Buffer.from(overrideTuningJob(upstream.body.toString("utf8"), tuningBest))
            : upstream.body;
      const headers = { ...upstream.headers, "content-length": String(payload.length) };
      delete headers["transfer-encoding"];
      res.writeHead(upstream.status, headers);
      res.end(payload);
    } catch (err) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`aws front: ${(err as Error).message}`);
    }
  });
  const url = await listen(server);
  return {
    url,
    answered,
    targets,
    setEndpointStatus: (name, status) => {
      if (status === undefined) statuses.delete(name);
      else statuses.set(name, status);
    },
    setTuningBest: (name, best) => tuningBest.set(name, best),
    close: () => closeServer(server),
  };
}

function overrideTuningJob(text: string, best: Map<string, Record<string, unknown>>): string {
  const doc = JSON.parse(text) as { HyperParameterTuningJobName?: string };
  const set = best.get(doc.HyperParameterTuningJobName ?? "");
  return JSON.stringify(set ? { ...doc, BestTrainingJob: set } : doc);
}

function overrideEndpoint(text: string, statuses: Map<string, string>, configs: Map<string, string>): string {
  const doc = JSON.parse(text) as { EndpointName?: string };
  const name = doc.EndpointName ?? "";
  const status = statuses.get(name);
  const config = configs.get(name);
  return JSON.stringify({
    ...doc,
    ...(status ? { EndpointStatus: status } : {}),
    ...(config ? { EndpointConfigName: config } : {}),
  });
}

function forward(
  moto: URL,
  req: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      {
        host: moto.hostname,
        port: moto.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: moto.host, "content-length": String(body.length) },
      },
      async (res) => {
        try {
          const chunks: Buffer[] = [];
          for await (const c of res) chunks.push(c as Buffer);
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) });
        } catch (err) {
          reject(err);
        }
      },
    );
    upstream.on("error", reject);
    upstream.end(body);
  });
}

export async function startStubEndpoint(endpointName: string): Promise<StubEndpoint> {
  const requests: StubEndpoint["requests"] = [];
  const stub: StubEndpoint = {
    url: "",
    requests,
    modelVersion: "2026-12-01T05-00-00Z-artifact",
    modelKind: "global-gbm",
    close: async () => undefined,
  };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString("utf8");
    const name = decodeURIComponent(/^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? "")?.[1] ?? "");
    const error = (status: number, type: string, message: string) => {
      res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": type });
      res.end(JSON.stringify({ __type: type, message }));
    };
    if (req.method !== "POST" || !name)
      return error(404, "UnknownOperationException", `${req.method} ${req.url}`);
    if (name !== endpointName) return error(400, "ValidationError", `Endpoint ${name} of account not found.`);
    const request = JSON.parse(body) as EndpointRequest;
    requests.push({ endpointName: name, request });
    if (!validateEndpointRequest(request)) {
      // The real container answers a broken request with a 4xx through ModelError.
      return error(424, "ModelError", JSON.stringify(validateEndpointRequest.errors));
    }
    res.writeHead(200, {
      "content-type": "application/json",
      "x-amzn-invoked-production-variant": "AllTraffic",
    });
    res.end(JSON.stringify(fakeForecast(request, stub.modelVersion, stub.modelKind)));
  });
  return Object.assign(stub, { url: await listen(server), close: () => closeServer(server) });
}

export async function startXrayDaemon(): Promise<XrayDaemon> {
  const socket = dgram.createSocket("udp4");
  const segments: Record<string, unknown>[] = [];
  socket.on("message", (msg) => {
    // Each datagram is `{"format":"json","version":1}\n<segment document>`.
    const doc = msg.toString("utf8").split("\n").slice(1).join("\n");
    try {
      segments.push(JSON.parse(doc) as Record<string, unknown>);
    } catch {
      // not a segment document; ignored
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    segments,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
