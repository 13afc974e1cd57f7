import * as os from "node:os";
import type { Command } from "commander";
import { positiveInteger } from "../usage";
import { registerTune } from "./model-tune";
import type { DeployResult } from "../../functions/model/deploy";
import type { ActionResult, OperatorDeps } from "../../functions/model/operator";

/**
 * `warecast model …`: the operator's controls over the stack's SageMaker endpoint, with the real AWS SDK and the
 * caller's AWS credentials (profile, SSO, env). Every action is recorded under decisions/operator/ in the
 * artifacts bucket. See docs/model-operations.md. The SDK and the operator code load when a subcommand runs, so
 * `--help` does not wait for them.
 */

interface Common {
  endpoint: string;
  bucket?: string;
  region?: string;
  json?: boolean;
}

type Clients = Pick<OperatorDeps, "sagemaker" | "s3">;

/** How the commands get their AWS clients; tests replace `create` with fakes. */
export const awsClients: { create: (region: string | undefined) => Clients | Promise<Clients> } = {
  async create(region) {
    const [{ S3 }, { SageMaker }] = await Promise.all([
      import("@aws-sdk/client-s3"),
      import("@aws-sdk/client-sagemaker"),
    ]);
    return { sagemaker: new SageMaker({ region }), s3: new S3({ region }) };
  },
};

async function deps(flags: Common): Promise<OperatorDeps> {
  const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  return {
    ...(await awsClients.create(region)),
    actor: process.env.WARECAST_ACTOR ?? `${os.userInfo().username}@${os.hostname()}`,
  };
}

/** The operator's code and what `status` reads, loaded when a subcommand runs. */
async function load() {
  const [operator, decisions, deferrals, registry] = await Promise.all([
    import("../../functions/model/operator"),
    import("../../functions/model/decisions"),
    import("../../functions/model/deferrals"),
    import("../../functions/model/registry"),
  ]);
  return { ...operator, ...decisions, ...deferrals, ...registry };
}

function withCommon(cmd: Command): Command {
  return cmd
    .requiredOption("--endpoint <name>", "the stack's endpoint (stack output forecastEndpointName)")
    .option("--bucket <name>", "artifacts bucket (default: found from the endpoint's current model)")
    .option("--region <region>", "AWS region (default: AWS_REGION)")
    .option("--json", "print the result as JSON");
}

function report(flags: Common, what: string, r: ActionResult): void {
  if (flags.json) {
    console.log(
      JSON.stringify(
        { action: what, version: r.version.version, deploy: r.deploy, record: r.record },
        null,
        2,
      ),
    );
    return;
  }
  console.log(
    `${what}: version ${r.version.version} (${r.version.trainingJob}); ${deployText(r.deploy)}; recorded at ${r.record}`,
  );
}

function deployText(d: DeployResult): string {
  return d.action === "updating"
    ? `endpoint updating to ${d.endpointConfig}${d.blueGreen ? " (blue/green, rollback on alarms)" : ""}`
    : `endpoint ${d.action.replace(/-/g, " ")} (${d.endpointConfig})`;
}

export function register(program: Command): void {
  const model = program
    .command("model")
    .description(
      "Inspect, pin, unpin, redeploy, roll back or tune the model a stack's SageMaker endpoint serves (uses AWS credentials)",
    );
  registerTune(model);

  withCommon(
    model
      .command("status")
      .description("Serving model, pin, and the registry's versions with their gate outcome"),
  )
    .option("--limit <n>", "versions to list", "10")
    .action(async (flags: Common & { limit: string }) => {
      const { stackContext, servingVersion, readPin, listVersions, readDeferrals, versionFromPackage } =
        await load();
      const d = await deps(flags);
      const ctx = await stackContext(d, flags.endpoint, flags.bucket);
      const [serving, pin, versions, deferred] = await Promise.all([
        servingVersion(d, ctx),
        readPin(d.s3, ctx.settings.artifactsBucket, ctx.settings.pinKey),
        listVersions(d.sagemaker, ctx.settings.modelPackageGroup),
        readDeferrals(d.s3, ctx.settings.artifactsBucket, ctx.settings.decisionsPrefix),
      ]);
      const rows = await Promise.all(
        versions.slice(0, Number(flags.limit) || 10).map(async (v) => {
          const pkg = await d.sagemaker.describeModelPackage({ ModelPackageName: v.arn });
          const meta = pkg.CustomerMetadataProperties ?? {};
          return {
            version: v.version,
            status: v.status,
            training_job: versionFromPackage(pkg).trainingJob,
            outcome: meta.outcome ?? "",
            gate: Object.entries(meta)
              .filter(([k]) => k.startsWith("challenger_") || k.startsWith("champion_"))
              .map(([k, val]) => `${k}=${val}`)
              .join(" "),
          };
        }),
      );
      const status = {
        endpoint: flags.endpoint,
        serving_model: ctx.serving.modelName,
        serving_version: serving?.version ?? "bootstrap (not registered)",
        endpoint_config: ctx.serving.endpointConfigName,
        endpoint_status: ctx.serving.status,
        updating: ctx.serving.updating,
        pin: pin ?? null,
        deferred,
        versions: rows,
      };
      if (flags.json) {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
      console.log(`endpoint        ${status.endpoint} (${status.endpoint_status})`);
      console.log(`serving         ${status.serving_model} — version ${status.serving_version}`);
      console.log(`endpoint config ${status.endpoint_config}`);
      console.log(
        `pin             ${pin ? `version ${pin.version} by ${pin.pinned_by} at ${pin.pinned_at}: ${pin.reason}` : "none"}`,
      );
      for (const w of deferred) {
        console.log(`deferred        ${w.training_job} since ${w.deferred_at}: ${w.reason}`);
      }
      console.log("");
      console.log("version  status                 outcome         training job / gate");
      for (const r of rows) {
        console.log(
          `${String(r.version).padEnd(8)} ${r.status.padEnd(22)} ${r.outcome.padEnd(15)} ${r.training_job} ${r.gate}`,
        );
      }
    });

  withCommon(
    model
      .command("pin")
      .description("Deploy a registered version and hold automatic promotions until `model unpin`"),
  )
    .requiredOption("--version <n>", "model registry version to serve", positiveInteger)
    .requiredOption("--reason <text>", "why (recorded with the pin)")
    .option("--force", "pin even a Rejected version")
    .action(async (flags: Common & { version: number; reason: string; force?: boolean }) => {
      const { stackContext, pinVersion } = await load();
      const d = await deps(flags);
      const ctx = await stackContext(d, flags.endpoint, flags.bucket);
      report(flags, "pinned", await pinVersion(d, ctx, flags.version, flags.reason, flags.force));
    });

  withCommon(
    model.command("unpin").description("Remove the pin; the next trained model goes through the gate again"),
  )
    .requiredOption("--reason <text>", "why (recorded)")
    .action(async (flags: Common & { reason: string }) => {
      const { stackContext, unpin } = await load();
      const d = await deps(flags);
      const ctx = await stackContext(d, flags.endpoint, flags.bucket);
      const pin = await unpin(d, ctx, flags.reason);
      const msg = pin ? `unpinned (was version ${pin.version})` : "no pin was set";
      console.log(flags.json ? JSON.stringify({ action: "unpin", was: pin ?? null }) : msg);
    });

  withCommon(
    model
      .command("redeploy")
      .description(
        "Deploy the serving model again with the stack's current serving settings (after `pulumi up` changed endpoint* config)",
      ),
  )
    .requiredOption("--reason <text>", "why (recorded)")
    .action(async (flags: Common & { reason: string }) => {
      const { stackContext, redeploy } = await load();
      const d = await deps(flags);
      const r = await redeploy(d, await stackContext(d, flags.endpoint, flags.bucket), flags.reason);
      if (flags.json) {
        console.log(
          JSON.stringify(
            { action: "redeploy", model: r.modelName, deploy: r.deploy, record: r.record },
            null,
            2,
          ),
        );
        return;
      }
      console.log(`redeployed ${r.modelName}: ${deployText(r.deploy)}; recorded at ${r.record}`);
    });

  withCommon(
    model
      .command("rollback")
      .description("Serve the previous Approved version and mark the current one Rejected"),
  )
    .requiredOption("--reason <text>", "why (recorded)")
    .action(async (flags: Common & { reason: string }) => {
      const { stackContext, rollback } = await load();
      const d = await deps(flags);
      const ctx = await stackContext(d, flags.endpoint, flags.bucket);
      report(flags, "rolled back", await rollback(d, ctx, flags.reason));
    });
}
