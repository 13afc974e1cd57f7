/**
 * `warecast model …` end to end through commander, with fake AWS clients (the operator logic itself is tested in
 * tests/functions/promote-operator.test.ts): argument checks, JSON and text output, and the recorded actor.
 */
import { buildProgram } from "../../cli/main";
import { awsClients } from "../../cli/commands/model";
import { handlePromote } from "../../functions/promote";
import { TAG_CHAMPION_MODEL } from "../../functions/model/data-watermark";
import { SETTINGS_KEY } from "../../functions/model/operator";
import { tarGzBytes } from "../../components/forecast-model/tarball";
import {
  FakeS3,
  FakeSageMaker,
  metricsJson,
  promoteSettings,
  quietObservability,
} from "../functions/model-fakes";

const JOB = "warecast-dev-forecast-20261101030000";
let s3: FakeS3;
let sm: FakeSageMaker;
const original = awsClients.create;

/** A training job scored against `champion` completes, and the promote function decides it. */
async function completeTraining(job: string, champion: string, challenger: number, championScore: number) {
  sm.addJob(job, "Completed", new Date(), [{ Key: TAG_CHAMPION_MODEL, Value: champion }], {
    OutputDataConfig: { S3OutputPath: "s3://artifacts/training/" },
  });
  s3.put(
    "artifacts",
    `training/${job}/output/model.tar.gz`,
    tarGzBytes([{ path: "metrics.json", content: metricsJson(challenger, championScore) }]),
  );
  return handlePromote(
    {
      source: "aws.sagemaker",
      "detail-type": "SageMaker Training Job State Change",
      detail: { TrainingJobName: job, TrainingJobStatus: "Completed" },
    },
    { sagemaker: sm.api(), s3: s3.api(), settings: promoteSettings(), obs: quietObservability() },
  );
}

beforeEach(async () => {
  s3 = new FakeS3();
  sm = new FakeSageMaker();
  sm.seedEndpoint("warecast-dev-forecast", "bootstrap-model", "s3://artifacts/bootstrap/abc/model.tar.gz");
  s3.put("artifacts", SETTINGS_KEY, JSON.stringify(promoteSettings()));
  await completeTraining(JOB, "bootstrap-model", 0.3, 0.4);
  awsClients.create = () => ({ sagemaker: sm.api(), s3: s3.api() });
  process.env.WARECAST_ACTOR = "ci-test";
});
afterEach(() => {
  awsClients.create = original;
  delete process.env.WARECAST_ACTOR;
  jest.restoreAllMocks();
});

async function run(...args: string[]): Promise<string> {
  const lines: string[] = [];
  jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  await buildProgram()
    .exitOverride()
    .parseAsync(["node", "warecast", "model", ...args]);
  return lines.join("\n");
}

const statusJson = async () =>
  JSON.parse(await run("status", "--endpoint", "warecast-dev-forecast", "--json")) as Record<string, unknown>;

describe("warecast model", () => {
  it("status --json shows the serving version and the registry with gate outcomes", async () => {
    const out = await statusJson();
    expect(out).toMatchObject({
      endpoint: "warecast-dev-forecast",
      serving_model: JOB,
      serving_version: 1,
      pin: null,
      versions: [{ version: 1, status: "Approved", training_job: JOB, outcome: "promoted" }],
    });
  });

  it("status lists promotions waiting for a busy endpoint", async () => {
    const next = "warecast-dev-forecast-20261108030000";
    sm.endpoint.status = "SystemUpdating";
    expect(await completeTraining(next, JOB, 0.2, 0.3)).toMatchObject({ deferred: true });
    const out = await statusJson();
    expect(out).toMatchObject({
      endpoint_status: "SystemUpdating",
      updating: true,
      deferred: [
        { training_job: next, reason: expect.stringMatching(/is SystemUpdating; the promotion waits/) },
      ],
    });
    const text = await run("status", "--endpoint", "warecast-dev-forecast");
    expect(text).toMatch(/^endpoint {8}warecast-dev-forecast \(SystemUpdating\)$/m);
    expect(text).toMatch(
      new RegExp(`^deferred {8}${next} since .+: endpoint warecast-dev-forecast is SystemUpdating`, "m"),
    );
  });

  it("pin prints what it did and records the actor; unpin removes it", async () => {
    const text = await run(
      "pin",
      "--endpoint",
      "warecast-dev-forecast",
      "--version",
      "1",
      "--reason",
      "freeze",
    );
    expect(text).toMatch(
      /^pinned: version 1 \(warecast-dev-forecast-20261101030000\); endpoint already serving/,
    );
    expect(JSON.parse(s3.text("artifacts", "control/pin.json") ?? "{}")).toMatchObject({
      pinned_by: "ci-test",
    });
    expect(await run("unpin", "--endpoint", "warecast-dev-forecast", "--reason", "done")).toBe(
      "unpinned (was version 1)",
    );
  });

  it("rejects a bad --version before calling AWS, and explains a rollback with nowhere to go", async () => {
    await expect(run("pin", "--endpoint", "e", "--version", "two", "--reason", "x")).rejects.toThrow(
      "option '--version <n>' argument 'two' is invalid. expected a positive integer.",
    );
    await expect(run("rollback", "--endpoint", "warecast-dev-forecast", "--reason", "x")).rejects.toThrow(
      "no Approved version older than 1 to roll back to",
    );
  });
});
