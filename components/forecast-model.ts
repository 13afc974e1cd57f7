/**
 * ForecastModel: storage, identity, retraining, promotion and the lifecycle of the stack's SageMaker endpoint.
 *
 * It owns what the three children share and builds them:
 * - Identity: a least-privilege SageMaker execution role, a security group for training and instance endpoints,
 *   the model registry (a model package group), SageMaker's own log groups. Artifacts live in the foundation's
 *   artifacts bucket; the code and the bootstrap model are packaged from model/ here (no Python at deploy time).
 * - ModelEndpoint (forecast-model/endpoint.ts): the endpoint under a fixed name, first serving the bootstrap
 *   baseline, with autoscaling and the blue/green rollback alarms.
 * - Retraining (forecast-model/retraining.ts): a schedule → the retrain function (functions/retrain.ts).
 * - Promotion (forecast-model/promotion.ts): training completed / endpoint changed → the promote function
 *   (functions/promote.ts): metric gate, registry, blue/green UpdateEndpoint, decision record.
 * - ModelTuning (forecast-model/tuning.ts): tuning jobs whose trials are retraining's training job; their best
 *   hyperparameters feed the next retraining, whose challenger the gate judges like any other.
 * See docs/model-operations.md.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MAX_PREFIX_LENGTH } from "../functions/model/names";
import type { Gate } from "../functions/model/settings";
import { accountContext } from "./account";
import type { Encryption } from "./encryption";
import { ModelEndpoint, type EndpointOptions } from "./forecast-model/endpoint";
import {
  ARTIFACT_PREFIXES,
  executionRoleStatements,
  promoteStatements,
  retrainStatements,
} from "./forecast-model/iam";
import {
  bootstrapArtifactEntries,
  bootstrapVersion,
  modelCodeHash,
  sourceDirEntries,
} from "./forecast-model/packaging";
import { Promotion } from "./forecast-model/promotion";
import { Retraining, type TrainingOptions } from "./forecast-model/retraining";
import { writeContentAddressedTarGz } from "./forecast-model/tarball";
import { ModelTuning, type TuningOptions } from "./forecast-model/tuning";
import { FRAMEWORK_IMAGE, TRAINING_ENTRY_POINT, TRAINING_MODULE } from "./forecast-model/training";
import { createLogGroup, type LogSettings } from "./log-group";
import type { Network } from "./network";
import { HTTPS_TO_AWS_EGRESS } from "./network-plan";
import { assumeRolePolicy, policyDocument } from "./policy-documents";
import type { FunctionSettings, PrivateFunction } from "./private-function";
import type { SecureBucket } from "./secure-bucket";

export type { EndpointOptions } from "./forecast-model/endpoint";
export type { TrainingOptions } from "./forecast-model/retraining";
export type { TuningOptions } from "./forecast-model/tuning";

export interface ForecastModelArgs {
  /** Region of the stack. Required. */
  readonly region: string;
  /** Stack name prefix (e.g. `warecast-dev`); the endpoint, registry and jobs are `<prefix>-forecast…`. Required. */
  readonly namePrefix: string;
  /** Stack key: training output and volumes, instance endpoint volumes, uploads. Required. */
  readonly key: Encryption;
  /** Private subnets of training jobs, instance endpoints and the functions. Required. */
  readonly network: Network;
  /** Models, checkpoints, code, decision records (Foundation.artifactsBucket). Required. */
  readonly artifactsBucket: SecureBucket;
  /** The ETL's tables: demand_daily/ (training data) and runs/ (new-data check) (Foundation.processedBucket). Required. */
  readonly processedBucket: SecureBucket;
  /** Shared function settings (Foundation.functions). Required. */
  readonly functions: FunctionSettings;
  /** Retraining. Required. */
  readonly training: TrainingOptions;
  /** Hyperparameter tuning whose best values retraining uses (forecast-model/tuning.ts). Required. */
  readonly tuning: TuningOptions;
  /** Metric gate. Default { metric: "wape", tolerance: 0.02 }. */
  readonly gate?: Gate;
  /** Serving: serverless (no VPC) or autoscaled instances in the VPC. Required. */
  readonly endpoint: EndpointOptions;
  /** The Python model package to train and serve. Default `<repo>/model`. */
  readonly modelSourceDir?: string;
  /** Log settings (Foundation.logs): SageMaker's own log groups get the stack's retention and key. Required. */
  readonly logs: LogSettings;
  /**
   * /aws/sagemaker/TrainingJobs is one log group per account and region, shared by every stack's training jobs:
   * `enabled: true` creates it here (the stack that owns the account's shared resources). Required.
   */
  readonly sharedTrainingLogGroup: { readonly enabled: boolean };
  /** Protect the model registry from deletion (Pulumi protect + retainOnDelete). Default false. */
  readonly protect?: boolean;
}

const PREFIX = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

export class ForecastModel extends pulumi.ComponentResource {
  /** Fixed per stack: IAM, policies and the predict function name it. */
  public readonly endpointName: string;
  public readonly endpoint: aws.sagemaker.Endpoint;
  public readonly modelPackageGroupName: pulumi.Output<string>;
  public readonly artifactsBucketName: pulumi.Output<string>;
  /** Training jobs are `<jobNamePrefix>-<yyyymmddhhmmss>`. */
  public readonly jobNamePrefix: string;
  public readonly executionRole: aws.iam.Role;
  public readonly retrain: PrivateFunction;
  public readonly tuning: ModelTuning;
  /** Logs one `promotion decision` line per completed training (Observability reads the gate scores from it). */
  public readonly promote: PrivateFunction;
  /** The bootstrap model's version label (every response of the bootstrap model carries it). */
  public readonly bootstrapVersion: string;

  constructor(name: string, args: ForecastModelArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:model:ForecastModel", name, {}, opts);
    const child = { parent: this };
    if (!PREFIX.test(args.namePrefix)) {
      throw new Error(
        `ForecastModel ${name}: namePrefix must be 3-30 of [a-z0-9-]; got "${args.namePrefix}"`,
      );
    }
    const modelDir = args.modelSourceDir ?? path.join(__dirname, "..", "model");
    const protect = args.protect ?? false;
    const prefix = `${args.namePrefix}-forecast`;
    if (prefix.length > MAX_PREFIX_LENGTH) throw new Error(`ForecastModel ${name}: "${prefix}" is too long`);
    this.jobNamePrefix = prefix;
    const ctx = accountContext(this, args.region);
    const image = aws.sagemaker.getPrebuiltEcrImageOutput(
      { repositoryName: FRAMEWORK_IMAGE.repository, imageTag: FRAMEWORK_IMAGE.tag, region: args.region },
      { parent: this },
    );
    // Identity.
    this.executionRole = new aws.iam.Role(
      `${name}-sagemaker`,
      {
        description: `SageMaker execution role of ${prefix}: training jobs and the endpoint's containers`,
        assumeRolePolicy: ctx.apply((c) =>
          JSON.stringify(assumeRolePolicy("sagemaker.amazonaws.com", c.accountId)),
        ),
      },
      child,
    );
    // SageMaker cannot delete a group that holds model packages: a protected registry is retained instead
    // (docs/deploy.md, "Tearing a stack down").
    const registry = new aws.sagemaker.ModelPackageGroup(
      `${name}-registry`,
      { modelPackageGroupName: prefix, modelPackageGroupDescription: `Trained forecast models of ${prefix}` },
      { parent: this, protect, retainOnDelete: protect },
    );
    // SageMaker's own log groups, made before any job or endpoint writes to them, so they get the stack's
    // retention and key instead of SageMaker's defaults (kept forever, unencrypted).
    const sageMakerLogs = [
      createLogGroup(
        `${name}-endpoint-logs`,
        { ...args.logs, logGroupName: `/aws/sagemaker/Endpoints/${prefix}` },
        child,
      ),
      ...(args.sharedTrainingLogGroup.enabled
        ? [
            createLogGroup(
              `${name}-training-logs`,
              { ...args.logs, logGroupName: "/aws/sagemaker/TrainingJobs" },
              child,
            ),
          ]
        : []),
    ];
    const iamContext = pulumi
      .all([
        ctx,
        args.key.keyArn,
        args.artifactsBucket.arn,
        args.processedBucket.arn,
        this.executionRole.arn,
        image,
      ])
      .apply(([c, keyArn, artifactsArn, processedArn, roleArn, img]) => ({
        ...c,
        keyArn,
        artifactsBucketArn: artifactsArn,
        processedBucketArn: processedArn,
        prefix,
        endpointName: prefix,
        modelPackageGroup: prefix,
        executionRoleArn: roleArn,
        imageRepositoryArn: `arn:${c.partition}:ecr:${c.region}:${img.registryId}:repository/${img.repositoryName}`,
      }));
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-sagemaker`,
      {
        role: this.executionRole.id,
        policy: iamContext.apply((c) => JSON.stringify(policyDocument(executionRoleStatements(c)))),
      },
      child,
    );
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sagemaker`,
      {
        vpcId: args.network.vpcId,
        description: `${prefix}: training jobs and endpoint instances; HTTPS out, traffic between its own members`,
        ingress: [
          { description: "Between training instances", protocol: "-1", fromPort: 0, toPort: 0, self: true },
        ],
        egress: [
          HTTPS_TO_AWS_EGRESS,
          { description: "Between training instances", protocol: "-1", fromPort: 0, toPort: 0, self: true },
        ],
      },
      child,
    );

    // Code and the bootstrap model, written at deploy time; content-addressed keys.
    const codeHash = modelCodeHash(modelDir);
    const build = path.join(os.tmpdir(), "warecast-build", prefix);
    const { file: sourceFile, hash: sourceHash } = writeContentAddressedTarGz(
      build,
      "sourcedir",
      sourceDirEntries(modelDir, TRAINING_ENTRY_POINT, TRAINING_MODULE),
    );
    this.bootstrapVersion = bootstrapVersion(codeHash);
    const { file: bootstrapFile, hash: bootstrapHash } = writeContentAddressedTarGz(
      build,
      "bootstrap-model",
      bootstrapArtifactEntries(modelDir, this.bootstrapVersion),
    );
    const upload = (id: string, key: string, file: string) =>
      new aws.s3.BucketObjectv2(
        `${name}-${id}`,
        {
          bucket: args.artifactsBucket.name,
          key,
          source: new pulumi.asset.FileAsset(file),
          contentType: "application/gzip",
          serverSideEncryption: "aws:kms",
          kmsKeyId: args.key.keyArn,
        },
        child,
      );
    const sourceKey = `${ARTIFACT_PREFIXES.code}sourcedir-${sourceHash.slice(0, 16)}.tar.gz`;
    // Named model.tar.gz, like a training job's output: train.py finds the champion channel's file by that name.
    const bootstrapKey = `${ARTIFACT_PREFIXES.bootstrap}${bootstrapHash.slice(0, 16)}/model.tar.gz`;
    const sourceObject = upload("sourcedir", sourceKey, sourceFile);
    const bootstrapObject = upload("bootstrap-artifact", bootstrapKey, bootstrapFile);

    // The children keep this component's name: their resources' logical names predate them (ModelEndpoint).
    const endpoint = new ModelEndpoint(
      name,
      {
        region: args.region,
        endpointName: prefix,
        options: args.endpoint,
        executionRoleArn: this.executionRole.arn,
        executionRolePolicy: rolePolicy,
        image: image.registryPath,
        bootstrapArtifact: bootstrapObject,
        key: args.key,
        network: args.network,
        securityGroupId: securityGroup.id,
        logGroups: sageMakerLogs,
      },
      child,
    );
    const retraining = new Retraining(
      name,
      {
        region: args.region,
        jobNamePrefix: prefix,
        endpointName: endpoint.endpointName,
        training: args.training,
        functions: args.functions,
        executionRoleArn: this.executionRole.arn,
        image: image.registryPath,
        sourceDir: sourceObject,
        processedBucket: args.processedBucket,
        artifactsBucket: args.artifactsBucket,
        key: args.key,
        network: args.network,
        securityGroupId: securityGroup.id,
        policyStatements: iamContext.apply(retrainStatements),
        logGroups: sageMakerLogs,
      },
      child,
    );
    this.tuning = new ModelTuning(
      `${name}-tuning`,
      {
        namePrefix: args.namePrefix,
        training: retraining.settings,
        iam: iamContext,
        artifactsBucket: args.artifactsBucket,
        key: args.key,
        functions: args.functions,
        options: args.tuning,
      },
      { parent: this, dependsOn: [sourceObject, ...sageMakerLogs] },
    );
    const promotion = new Promotion(
      name,
      {
        region: args.region,
        jobNamePrefix: prefix,
        endpoint,
        registry,
        gate: args.gate,
        functions: args.functions,
        executionRoleArn: this.executionRole.arn,
        image: image.registryPath,
        artifactsBucket: args.artifactsBucket,
        key: args.key,
        policyStatements: iamContext.apply(promoteStatements),
      },
      child,
    );

    this.endpointName = endpoint.endpointName;
    this.endpoint = endpoint.endpoint;
    this.retrain = retraining.function;
    this.promote = promotion.function;
    this.modelPackageGroupName = registry.modelPackageGroupName;
    this.artifactsBucketName = args.artifactsBucket.name;
    this.registerOutputs({
      endpointName: this.endpointName,
      modelPackageGroupName: this.modelPackageGroupName,
      artifactsBucketName: this.artifactsBucketName,
      jobNamePrefix: this.jobNamePrefix,
      bootstrapVersion: this.bootstrapVersion,
    });
  }
}
