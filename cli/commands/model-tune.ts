import type { Command } from "commander";
import { UsageError } from "../usage";

/**
 * `warecast model tune`: starts the stack's SageMaker tuning job now, with the tune function's own settings (the
 * copy the stack keeps at control/tune-settings.json in its artifacts bucket) and the caller's AWS credentials.
 * When it completes, the stack's tune function records the best hyperparameters and the next retraining uses
 * them. See docs/model-operations.md, "Tuning". The SDK loads when the command runs, so `--help` stays fast.
 */

interface TuneFlags {
  stack?: string;
  bucket?: string;
  region?: string;
  pulumi?: string;
  json?: boolean;
}

export function registerTune(model: Command): void {
  model
    .command("tune")
    .description(
      "Start a SageMaker hyperparameter tuning job with the stack's settings; its best hyperparameters feed the next retraining (uses AWS credentials)",
    )
    .option("--stack <name>", "the Pulumi stack (reads its outputs artifactsBucketName and region)")
    .option("--bucket <name>", "the stack's artifacts bucket, instead of --stack")
    .option("--region <region>", "AWS region (default: the stack's, or AWS_REGION)")
    .option("--pulumi <path>", "the Pulumi CLI to read the stack outputs with", "pulumi")
    .option("--json", "print the result as JSON")
    .action(async (flags: TuneFlags) => {
      if (!flags.stack === !flags.bucket) throw new UsageError("pass --stack <name> or --bucket <name>");
      let bucket = flags.bucket;
      let region = flags.region;
      if (flags.stack) {
        const { pulumiStackOutputs } = await import("../stack-outputs");
        const outputs = await pulumiStackOutputs(
          flags.stack,
          flags.pulumi,
          "pass --bucket and --region instead",
        );
        if (typeof outputs.artifactsBucketName !== "string") {
          throw new Error(`stack ${flags.stack} has no output artifactsBucketName: run \`pulumi up\` first`);
        }
        bucket = outputs.artifactsBucketName;
        region = region ?? (typeof outputs.region === "string" ? outputs.region : undefined);
      }
      const [{ S3 }, { SageMaker }, { Logger }, { Metrics }, { Tracer }, tune, ports, settings, common] =
        await Promise.all([
          import("@aws-sdk/client-s3"),
          import("@aws-sdk/client-sagemaker"),
          import("@aws-lambda-powertools/logger"),
          import("@aws-lambda-powertools/metrics"),
          import("@aws-lambda-powertools/tracer"),
          import("../../functions/tune"),
          import("../../functions/model/ports"),
          import("../../functions/model/tuning-settings"),
          import("../../functions/lambda-wiring"),
        ]);
      region = region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      const s3 = new S3({ region });
      const sagemaker = new SageMaker({ region });
      try {
        const key = settings.TUNE_SETTINGS_KEY;
        const bytes = await ports.getObjectBytes(s3, bucket!, key);
        if (!bytes) {
          throw new Error(
            `s3://${bucket}/${key} not found: is ${bucket} the artifacts bucket of a stack deployed with tuning?`,
          );
        }
        const parsed = common.parseSettings(
          settings.tuneSettingsSchema(),
          key,
          Buffer.from(bytes).toString("utf8"),
        );
        const result = await tune.startTuning({
          sagemaker,
          s3,
          settings: parsed,
          // The command prints its own result: the handler's info lines and metrics stay quiet here.
          obs: {
            logger: new Logger({ serviceName: "warecast-model-tune", logLevel: "WARN" }),
            metrics: new Metrics({ namespace: "Warecast", serviceName: "warecast-model-tune" }),
            tracer: new Tracer({ serviceName: "warecast-model-tune", enabled: false }),
          },
        });
        if (flags.json) console.log(JSON.stringify(result, null, 2));
        else if (result.started)
          console.log(
            `started tuning job ${result.tuningJobName} (${result.maxJobs} trials); its best hyperparameters go to s3://${bucket}/${parsed.tunedParamsKey} when it completes`,
          );
        else console.log(`not started: ${result.reason}`);
      } finally {
        s3.destroy();
        sagemaker.destroy();
      }
    });
}
