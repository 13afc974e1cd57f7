/**
 * ModelEndpoint: the stack's SageMaker endpoint, owned by Pulumi under a fixed name and first serving the bootstrap
 * baseline; for instance endpoints also its autoscaling and the guardrail alarms that roll a blue/green promotion
 * back. Promotions (the promote function) swap its endpoint config later, and `pulumi up` ignores that.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { inferenceEnvironment } from "../../functions/model/deploy";
import { VARIANT_NAME } from "../../functions/model/endpoint-config";
import type { Deployment, Serving } from "../../functions/model/settings";
import type { Encryption } from "../encryption";
import type { Network } from "../network";
import { movedChild } from "./moved";
import {
  bootstrapEndpointConfig,
  bootstrapModelSpec,
  endpointDeploymentConfig,
  rollbackAlarmSpecs,
  scalableResourceId,
} from "./serving";
import { INFERENCE_CODE_DIR, INFERENCE_ENTRY_POINT } from "./training";

export type EndpointOptions = {
  /**
   * Model server worker processes per container (SAGEMAKER_MODEL_SERVER_WORKERS): the framework container runs
   * gunicorn with this many, each forecasting one request at a time. Default 1; set the instance's vCPUs.
   */
  readonly modelServerWorkers?: number;
} & (
  | {
      readonly kind: "serverless";
      /** Memory per worker, MiB. */
      readonly memorySizeMb: number;
      readonly maxConcurrency: number;
    }
  | {
      readonly kind: "instance";
      readonly instanceType: string;
      /** Autoscaling floor (and the initial fleet). */
      readonly minInstances: number;
      /** Autoscaling ceiling. */
      readonly maxInstances: number;
      /** Autoscaling target: invocations per instance per minute. */
      readonly targetInvocationsPerInstance: number;
      /** Blue/green promotions with rollback on the guardrail alarms; `enabled: false` switches it off. */
      readonly blueGreen: {
        readonly enabled: boolean;
        readonly canaryPercent: number;
        readonly bakeSeconds: number;
      };
      /** Guardrail alarm thresholds. Default { errorsPerMinute: 1, latencyP99Ms: 2000 }. */
      readonly rollbackAlarms?: { readonly errorsPerMinute: number; readonly latencyP99Ms: number };
    }
);

export interface ModelEndpointArgs {
  /** Region of the stack. Required. */
  readonly region: string;
  /** The endpoint's fixed name; its bootstrap model, config and rollback alarms are named after it. Required. */
  readonly endpointName: string;
  /** Serving: serverless (no VPC) or autoscaled instances in the VPC. Required. */
  readonly options: EndpointOptions;
  /** The SageMaker execution role the containers run as. Required. */
  readonly executionRoleArn: pulumi.Input<string>;
  /** Its policy: the bootstrap model is created once the role may read its artifact. Required. */
  readonly executionRolePolicy: aws.iam.RolePolicy;
  /** The framework image (registry path) that serves every model version. Required. */
  readonly image: pulumi.Input<string>;
  /** The uploaded bootstrap model.tar.gz the endpoint first serves. Required. */
  readonly bootstrapArtifact: aws.s3.BucketObjectv2;
  /** Stack key: endpoint config (instance volumes). Required. */
  readonly key: Encryption;
  /** Private subnets of instance endpoints. Required. */
  readonly network: Network;
  /** Security group of instance endpoints. Required. */
  readonly securityGroupId: pulumi.Input<string>;
  /** SageMaker's log groups: made before the endpoint writes, so they keep the stack's retention and key. Required. */
  readonly logGroups: readonly aws.cloudwatch.LogGroup[];
}

const DEFAULT_ROLLBACK_ALARMS = { errorsPerMinute: 1, latencyP99Ms: 2000 };

export class ModelEndpoint extends pulumi.ComponentResource {
  /** Fixed per stack: IAM, policies and the predict function name it. */
  public readonly endpointName: string;
  public readonly endpoint: aws.sagemaker.Endpoint;
  /** How every model version is served (the bootstrap config's and each promotion's). */
  public readonly serving: pulumi.Output<Serving>;
  /** How promotions deploy (blue/green with rollback alarms, or all at once). */
  public readonly deployment: Deployment;
  /** Model server workers per container. */
  public readonly modelServerWorkers: number;

  /**
   * `name` is the ForecastModel's: the endpoint's resources keep the logical names they had before it had
   * children (`<name>-endpoint`, `<name>-bootstrap`, …), so an existing stack's URNs move only by parent (aliased).
   */
  constructor(name: string, args: ModelEndpointArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:model:ModelEndpoint", name, {}, opts);
    const ep = args.options;
    const modelServerWorkers = ep.modelServerWorkers ?? 1;
    if (!Number.isInteger(modelServerWorkers) || modelServerWorkers < 1 || modelServerWorkers > 64) {
      throw new Error(
        `ModelEndpoint ${name}: options.modelServerWorkers must be an integer from 1 to 64, got ${modelServerWorkers}`,
      );
    }
    if (ep.kind === "instance" && ep.minInstances > ep.maxInstances) {
      throw new Error(
        `ModelEndpoint ${name}: options.minInstances (${ep.minInstances}) must be ≤ maxInstances`,
      );
    }
    const blueGreen = ep.kind === "instance" && ep.blueGreen.enabled;
    const bakeSeconds = ep.kind === "instance" ? ep.blueGreen.bakeSeconds : 0;
    const rollbackThresholds = (ep.kind === "instance" && ep.rollbackAlarms) || DEFAULT_ROLLBACK_ALARMS;
    const prefix = args.endpointName;
    this.endpointName = prefix;
    const child = movedChild(this, opts.parent);

    // Serving and deployment settings, shared by Pulumi's bootstrap config and the promote function.
    this.serving = pulumi
      .all([args.network.privateSubnetIds, args.securityGroupId])
      .apply(([subnetIds, sgId]): Serving =>
        ep.kind === "serverless"
          ? { kind: "serverless", memorySizeMb: ep.memorySizeMb, maxConcurrency: ep.maxConcurrency }
          : {
              kind: "instance",
              instanceType: ep.instanceType,
              minInstances: ep.minInstances,
              subnetIds,
              securityGroupIds: [sgId],
            },
      );
    const alarmSpecs = blueGreen ? rollbackAlarmSpecs(prefix, rollbackThresholds) : [];
    this.deployment = {
      blueGreen,
      canaryPercent: ep.kind === "instance" ? ep.blueGreen.canaryPercent : 100,
      waitSeconds: bakeSeconds,
      terminationWaitSeconds: bakeSeconds,
      rollbackAlarms: alarmSpecs.map((a) => a.name),
    };
    this.modelServerWorkers = modelServerWorkers;
    const alarms = alarmSpecs.map(
      (a) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-rollback-${a.id}`,
          {
            name: a.name,
            alarmDescription: a.description,
            namespace: "AWS/SageMaker",
            metricName: a.metricName,
            dimensions: { EndpointName: prefix, VariantName: VARIANT_NAME },
            ...(a.statistic ? { statistic: a.statistic } : { extendedStatistic: a.extendedStatistic }),
            period: 60,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: a.threshold,
            treatMissingData: "notBreaching",
          },
          child,
        ),
    );

    // The endpoint, first serving the bootstrap baseline. The bootstrap model and its endpoint config are named
    // after their content and retained on delete: a change to model/ or to serving settings makes new ones beside
    // them, and the ones the live endpoint (or a later promotion's record) names stay in SageMaker. Settings reach
    // the endpoint through the promotion path (the next promotion, or `warecast model redeploy`).
    const artifact = args.bootstrapArtifact;
    const bootstrapSpec = pulumi
      .all([
        args.executionRoleArn,
        args.image,
        pulumi.interpolate`s3://${artifact.bucket}/${artifact.key}`,
        this.serving,
      ])
      .apply(([roleArn, image, modelDataUrl, s]) =>
        bootstrapModelSpec(prefix, {
          roleArn,
          image,
          modelDataUrl,
          environment: inferenceEnvironment(
            INFERENCE_ENTRY_POINT,
            INFERENCE_CODE_DIR,
            args.region,
            modelServerWorkers,
          ),
          serving: s,
        }),
      );
    const bootstrapModel = new aws.sagemaker.Model(
      `${name}-bootstrap`,
      {
        name: bootstrapSpec.name,
        executionRoleArn: args.executionRoleArn,
        primaryContainer: bootstrapSpec.primaryContainer,
        vpcConfig: bootstrapSpec.vpcConfig,
      },
      { ...child, dependsOn: [args.executionRolePolicy, artifact], retainOnDelete: true },
    );
    const bootstrapConfig = pulumi
      .all([this.serving, args.key.keyArn, bootstrapModel.name])
      .apply(([s, keyArn, model]) => bootstrapEndpointConfig(s, keyArn, model));
    const endpointConfig = new aws.sagemaker.EndpointConfiguration(
      `${name}-bootstrap`,
      {
        name: bootstrapConfig.name,
        productionVariants: bootstrapConfig.productionVariants,
        kmsKeyArn: bootstrapConfig.apply((c) => c.kmsKeyArn),
      },
      { ...child, retainOnDelete: true },
    );
    const deploymentConfig = this.serving.apply((s) => endpointDeploymentConfig(s, this.deployment));
    this.endpoint = new aws.sagemaker.Endpoint(
      `${name}-endpoint`,
      {
        name: prefix,
        endpointConfigName: endpointConfig.name,
        deploymentConfig:
          deploymentConfig as pulumi.Output<aws.types.input.sagemaker.EndpointDeploymentConfig>,
      },
      // Promotions and pins swap the endpoint config outside Pulumi; `pulumi up` must never swap it back. The
      // provider's in-place update sends UpdateEndpoint with the config name it has in state (the bootstrap one),
      // so no input that triggers that call may change either: the deployment policy is applied by the promote
      // function on every promotion, and here it is creation-only.
      {
        ...child,
        dependsOn: [...alarms, ...args.logGroups],
        ignoreChanges: ["endpointConfigName", "deploymentConfig"],
      },
    );

    if (ep.kind === "instance") {
      const target = new aws.appautoscaling.Target(
        `${name}-scaling`,
        {
          serviceNamespace: "sagemaker",
          scalableDimension: "sagemaker:variant:DesiredInstanceCount",
          resourceId: scalableResourceId(prefix),
          minCapacity: ep.minInstances,
          maxCapacity: ep.maxInstances,
        },
        { ...child, dependsOn: [this.endpoint] },
      );
      new aws.appautoscaling.Policy(
        `${name}-scaling`,
        {
          policyType: "TargetTrackingScaling",
          serviceNamespace: target.serviceNamespace,
          scalableDimension: target.scalableDimension,
          resourceId: target.resourceId,
          targetTrackingScalingPolicyConfiguration: {
            targetValue: ep.targetInvocationsPerInstance,
            predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
            scaleInCooldown: 300,
            scaleOutCooldown: 60,
          },
        },
        child,
      );
    }
    this.registerOutputs({ endpointName: prefix });
  }
}
