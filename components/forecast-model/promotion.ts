/**
 * Promotion: "SageMaker Training Job State Change" (Completed) → the promote function (functions/promote.ts):
 * metric gate, registry, blue/green UpdateEndpoint, decision record. A winner that finds the endpoint busy is
 * deferred, and the endpoint's next "SageMaker Endpoint State Change" event decides it again. The settings are
 * also written to the artifacts bucket, so the operator's CLI (warecast model pin/rollback) deploys with them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SETTINGS_KEY } from "../../functions/model/operator";
import { promoteSettingsSchema, type Gate, type PromoteSettings } from "../../functions/model/settings";
import { handlePromote } from "../../functions/promote";
import type { Encryption } from "../encryption";
import type { PolicyStatement } from "../policy-documents";
import { PrivateFunction, type FunctionSettings } from "../private-function";
import type { SecureBucket } from "../secure-bucket";
import type { ModelEndpoint } from "./endpoint";
import { invokeOnEvent } from "./event-invoke";
import { modelHandlerDeps } from "./handler-deps";
import { ARTIFACT_PREFIXES } from "./iam";
import { movedChild } from "./moved";
import { INFERENCE_CODE_DIR, INFERENCE_ENTRY_POINT } from "./training";

export interface PromotionArgs {
  /** Region of the stack. Required. */
  readonly region: string;
  /** Training jobs of this stack are `<jobNamePrefix>-…`; only their completions are decided. Required. */
  readonly jobNamePrefix: string;
  /** The endpoint promotions deploy to (its name, serving and deployment settings). Required. */
  readonly endpoint: ModelEndpoint;
  /** The model registry winners are registered in. Required. */
  readonly registry: aws.sagemaker.ModelPackageGroup;
  /** Metric gate. Default { metric: "wape", tolerance: 0.02 }. */
  readonly gate?: Gate;
  /** Shared function settings (Foundation.functions). Required. */
  readonly functions: FunctionSettings;
  /** The role promoted models run as. Required. */
  readonly executionRoleArn: pulumi.Input<string>;
  /** The framework image (registry path) that serves promoted models. Required. */
  readonly image: pulumi.Input<string>;
  /** Decision records, model metrics, the pin and the settings object. Required. */
  readonly artifactsBucket: SecureBucket;
  /** Stack key: endpoint configs and the settings object. Required. */
  readonly key: Encryption;
  /** What the promote function may call (components/forecast-model/iam.ts). Required. */
  readonly policyStatements: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
}

const DEFAULT_GATE: Gate = { metric: "wape", tolerance: 0.02 };

export class Promotion extends pulumi.ComponentResource {
  /** Logs one `promotion decision` line per completed training (Observability reads the gate scores from it). */
  public readonly function: PrivateFunction;

  /** `name` is the ForecastModel's, for the reason ModelEndpoint gives. */
  constructor(name: string, args: PromotionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:model:Promotion", name, {}, opts);
    const gate = args.gate ?? DEFAULT_GATE;
    const prefix = args.jobNamePrefix;
    const endpoint = args.endpoint;
    const child = movedChild(this, opts.parent);

    const settings: pulumi.Output<PromoteSettings> = pulumi
      .all([args.artifactsBucket.name, args.executionRoleArn, args.image, args.key.keyArn, endpoint.serving])
      .apply(([artifacts, roleArn, inferenceImage, keyArn, serving]) => ({
        jobNamePrefix: prefix,
        artifactsBucket: artifacts,
        decisionsPrefix: ARTIFACT_PREFIXES.decisions,
        modelsPrefix: ARTIFACT_PREFIXES.models,
        pinKey: `${ARTIFACT_PREFIXES.control}pin.json`,
        endpointName: endpoint.endpointName,
        modelPackageGroup: prefix,
        roleArn,
        inferenceImage,
        inferenceEntryPoint: INFERENCE_ENTRY_POINT,
        inferenceCodeDir: INFERENCE_CODE_DIR,
        modelServerWorkers: endpoint.modelServerWorkers,
        kmsKeyArn: keyArn,
        region: args.region,
        gate,
        serving,
        deployment: endpoint.deployment,
      }));
    const settingsJson = settings.apply((s) => JSON.stringify(s));
    // The operator's CLI (warecast model pin/rollback) deploys with exactly these settings.
    new aws.s3.BucketObjectv2(
      `${name}-promote-settings`,
      {
        bucket: args.artifactsBucket.name,
        key: SETTINGS_KEY,
        content: settingsJson,
        contentType: "application/json",
        serverSideEncryption: "aws:kms",
        kmsKeyId: args.key.keyArn,
      },
      child,
    );
    this.function = new PrivateFunction(
      `${name}-promote`,
      {
        ...args.functions,
        description: `${prefix}: metric gate, registry and blue/green deploy of completed training jobs (functions/promote.ts)`,
        environment: { WARECAST_PROMOTE_SETTINGS: settingsJson },
        policyStatements: args.policyStatements,
        // tar: promote reads metrics.json out of the trained model.tar.gz.
        packages: ["@aws-sdk/client-sagemaker", "@aws-sdk/client-s3", "tar", "zod"],
        callbackFactory: () => {
          const deps = modelHandlerDeps("promote", "WARECAST_PROMOTE_SETTINGS", promoteSettingsSchema);
          return (event: unknown) => handlePromote(event, deps);
        },
      },
      { ...child, dependsOn: [args.registry] },
    );
    const completed = new aws.cloudwatch.EventRule(
      `${name}-training-completed`,
      {
        description: `${prefix}: a training job of this stack completed`,
        eventPattern: JSON.stringify({
          source: ["aws.sagemaker"],
          "detail-type": ["SageMaker Training Job State Change"],
          detail: { TrainingJobStatus: ["Completed"], TrainingJobName: [{ prefix: `${prefix}-` }] },
        }),
      },
      child,
    );
    invokeOnEvent(`${name}-promote`, completed, this.function, child);
    // A promotion that found the endpoint mid-update waits for its next state change (functions/promote.ts).
    const endpointChanged = new aws.cloudwatch.EventRule(
      `${name}-endpoint-changed`,
      {
        description: `${prefix}: the stack's endpoint changed state; deferred promotions are decided again`,
        eventPattern: JSON.stringify({
          source: ["aws.sagemaker"],
          "detail-type": ["SageMaker Endpoint State Change"],
          detail: { EndpointName: [endpoint.endpointName] },
        }),
      },
      child,
    );
    invokeOnEvent(`${name}-promote-deferred`, endpointChanged, this.function, child);
    this.registerOutputs({ functionName: this.function.functionName });
  }
}
