import { deferralPrefix } from "../../functions/model/deferrals";
import { TUNE_SETTINGS_KEY } from "../../functions/model/tuning-settings";
import { keyUseStatement, listUnder, type PolicyStatement } from "../policy-documents";

/**
 * Least-privilege IAM for the ForecastModel: the SageMaker execution role (training jobs and the endpoint's
 * containers), the retrain function and the promote function. Plain data in, statements out, unit-tested.
 * Object-level S3 access is by prefix of the storage layout (docs/model-operations.md).
 */

export interface ModelIamContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly keyArn: string;
  readonly artifactsBucketArn: string;
  readonly processedBucketArn: string;
  /** Training job, model and endpoint-config names all start with `<prefix>-`. */
  readonly prefix: string;
  readonly endpointName: string;
  readonly modelPackageGroup: string;
  /** The SageMaker execution role (what the functions pass to SageMaker). */
  readonly executionRoleArn: string;
  /** ECR repository of the framework image: `arn:aws:ecr:<region>:<registry>:repository/<name>`. */
  readonly imageRepositoryArn: string;
}

/** Prefixes of the artifacts bucket. */
export const ARTIFACT_PREFIXES = {
  code: "code/",
  bootstrap: "bootstrap/",
  training: "training/",
  checkpoints: "checkpoints/",
  decisions: "decisions/",
  models: "models/",
  control: "control/",
  tuning: "tuning/",
} as const;

/** Where tuning results live: retraining reads the best, every completed tuning job keeps its own record. */
export const TUNING_KEYS = {
  best: `${ARTIFACT_PREFIXES.tuning}best.json`,
  results: `${ARTIFACT_PREFIXES.tuning}results/`,
  /** Trial outputs sit under training/ (the execution role's write prefix), apart from retrained models. */
  trialOutput: `${ARTIFACT_PREFIXES.training}tuning/`,
  /** The tune function's settings, for `warecast model tune`. */
  settings: TUNE_SETTINGS_KEY,
} as const;

function sm(c: ModelIamContext, resource: string): string {
  return `arn:${c.partition}:sagemaker:${c.region}:${c.accountId}:${resource}`;
}

function objects(bucketArn: string, prefixes: readonly string[]): string[] {
  return prefixes.map((p) => `${bucketArn}/${p}*`);
}

function passRole(c: ModelIamContext): PolicyStatement {
  return {
    Sid: "PassExecutionRoleToSageMaker",
    Effect: "Allow",
    Action: "iam:PassRole",
    Resource: c.executionRoleArn,
    Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
  };
}

/** What training jobs and the endpoint's containers need, and nothing else. */
export function executionRoleStatements(c: ModelIamContext): PolicyStatement[] {
  const a = ARTIFACT_PREFIXES;
  return [
    listUnder("ListTrainingData", c.processedBucketArn, ["demand_daily/"]),
    {
      Sid: "ReadTrainingData",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${c.processedBucketArn}/demand_daily/*`,
    },
    listUnder("ListArtifacts", c.artifactsBucketArn, [a.code, a.bootstrap, a.training, a.checkpoints]),
    {
      // Code, the bootstrap model and earlier models (the champion channel, the served artifact).
      Sid: "ReadArtifacts",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: objects(c.artifactsBucketArn, [a.code, a.bootstrap, a.training, a.checkpoints]),
    },
    {
      Sid: "WriteModelsAndCheckpoints",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: objects(c.artifactsBucketArn, [a.training, a.checkpoints]),
    },
    {
      // Checkpoint sync mirrors /opt/ml/checkpoints, deletions included.
      Sid: "PruneCheckpoints",
      Effect: "Allow",
      Action: "s3:DeleteObject",
      Resource: objects(c.artifactsBucketArn, [a.checkpoints]),
    },
    keyUseStatement(c.keyArn, c.region, ["s3", "sagemaker"]),
    {
      // Encrypted training and endpoint volumes: SageMaker creates grants on the key for the instances.
      Sid: "GrantKeyToSageMakerVolumes",
      Effect: "Allow",
      Action: "kms:CreateGrant",
      Resource: c.keyArn,
      Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
    },
    { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullFrameworkImage",
      Effect: "Allow",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
      Resource: c.imageRepositoryArn,
    },
    {
      Sid: "SageMakerLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [
        `arn:${c.partition}:logs:${c.region}:${c.accountId}:log-group:/aws/sagemaker/*`,
        `arn:${c.partition}:logs:${c.region}:${c.accountId}:log-group:/aws/sagemaker/*:log-stream:*`,
      ],
    },
    {
      Sid: "SageMakerMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringLike: { "cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"] } },
    },
    {
      // Training jobs and instance endpoints attach ENIs in the private subnets (SageMaker's documented set;
      // these EC2 actions take no resource-level scoping).
      Sid: "VpcNetworkInterfaces",
      Effect: "Allow",
      Action: [
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
      ],
      Resource: "*",
    },
  ];
}

/** Reading the endpoint's current model (both functions find the champion this way). */
function describeServing(c: ModelIamContext): PolicyStatement {
  return {
    Sid: "DescribeServingModel",
    Effect: "Allow",
    Action: ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
    Resource: [
      sm(c, `endpoint/${c.endpointName}`),
      sm(c, `endpoint-config/${c.prefix}-*`),
      sm(c, `model/${c.prefix}-*`),
    ],
  };
}

export function retrainStatements(c: ModelIamContext): PolicyStatement[] {
  return [
    {
      Sid: "StartTrainingJobs",
      Effect: "Allow",
      Action: ["sagemaker:CreateTrainingJob", "sagemaker:AddTags", "sagemaker:ListTags"],
      Resource: sm(c, `training-job/${c.prefix}-*`),
    },
    // ListTrainingJobs has no resource-level permissions.
    { Sid: "ListTrainingJobs", Effect: "Allow", Action: "sagemaker:ListTrainingJobs", Resource: "*" },
    describeServing(c),
    passRole(c),
    listUnder("ListRunManifests", c.processedBucketArn, ["runs/"]),
    {
      Sid: "ReadRunManifests",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${c.processedBucketArn}/runs/*`,
    },
    // ListBucket makes "no tuning result yet" a 404 (not a 403).
    listUnder("ListTunedParams", c.artifactsBucketArn, [TUNING_KEYS.best]),
    {
      Sid: "ReadTunedParams",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${c.artifactsBucketArn}/${TUNING_KEYS.best}`,
    },
    keyUseStatement(c.keyArn, c.region, ["s3"]),
  ];
}

/** The tune function and `warecast model tune`: start, find and read tuning jobs; record their results. */
export function tuneStatements(c: ModelIamContext & { readonly tuningPrefix: string }): PolicyStatement[] {
  return [
    {
      Sid: "RunTuningJobs",
      Effect: "Allow",
      Action: [
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:AddTags",
      ],
      Resource: sm(c, `hyper-parameter-tuning-job/${c.tuningPrefix}-*`),
    },
    // ListHyperParameterTuningJobs has no resource-level permissions.
    {
      Sid: "ListTuningJobs",
      Effect: "Allow",
      Action: "sagemaker:ListHyperParameterTuningJobs",
      Resource: "*",
    },
    passRole(c),
    listUnder("ListTrainingData", c.processedBucketArn, ["demand_daily/"]),
    listUnder("ListTuningResults", c.artifactsBucketArn, [ARTIFACT_PREFIXES.tuning]),
    {
      Sid: "RecordTuningResults",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${c.artifactsBucketArn}/${ARTIFACT_PREFIXES.tuning}*`,
    },
    keyUseStatement(c.keyArn, c.region, ["s3"]),
  ];
}

export function promoteStatements(c: ModelIamContext): PolicyStatement[] {
  const a = ARTIFACT_PREFIXES;
  return [
    {
      Sid: "ReadTrainingJobs",
      Effect: "Allow",
      Action: ["sagemaker:DescribeTrainingJob", "sagemaker:ListTags"],
      Resource: sm(c, `training-job/${c.prefix}-*`),
    },
    describeServing(c),
    {
      Sid: "DeployModels",
      Effect: "Allow",
      Action: ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint"],
      Resource: [
        sm(c, `model/${c.prefix}-*`),
        sm(c, `endpoint-config/${c.prefix}-*`),
        sm(c, `endpoint/${c.endpointName}`),
      ],
    },
    {
      Sid: "RegisterModels",
      Effect: "Allow",
      Action: "sagemaker:CreateModelPackage",
      Resource: [
        sm(c, `model-package-group/${c.modelPackageGroup}`),
        sm(c, `model-package/${c.modelPackageGroup}/*`),
      ],
    },
    passRole(c),
    // ListBucket makes a missing decision record a 404 (not a 403), which is how duplicates are told apart.
    listUnder("ListDecisions", c.artifactsBucketArn, [a.training, a.decisions, a.control]),
    {
      Sid: "ReadArtifactsAndDecisions",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: objects(c.artifactsBucketArn, [a.training, a.decisions, a.control]),
    },
    {
      Sid: "RecordDecisions",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `${c.artifactsBucketArn}/${a.decisions}*`,
    },
    {
      Sid: "PublishModelMetrics",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `${c.artifactsBucketArn}/${a.models}*`,
    },
    {
      Sid: "ClearDeferrals",
      Effect: "Allow",
      Action: "s3:DeleteObject",
      Resource: `${c.artifactsBucketArn}/${deferralPrefix(a.decisions)}*`,
    },
    keyUseStatement(c.keyArn, c.region, ["s3"]),
    ...endpointConfigKeyStatements(c),
  ];
}

/**
 * CreateEndpointConfig with the stack key (instance endpoints encrypt their ML volumes with it): SageMaker, acting
 * as the caller, describes the key and creates a grant on it for the instances. Only through SageMaker, and only
 * grants for AWS resources.
 */
export function endpointConfigKeyStatements(c: ModelIamContext): PolicyStatement[] {
  const viaSageMaker = { "kms:ViaService": `sagemaker.${c.region}.amazonaws.com` };
  return [
    {
      Sid: "GrantKeyToEndpointVolumes",
      Effect: "Allow",
      Action: "kms:CreateGrant",
      Resource: c.keyArn,
      Condition: { Bool: { "kms:GrantIsForAWSResource": true }, StringEquals: viaSageMaker },
    },
    {
      Sid: "DescribeKeyForEndpointConfigs",
      Effect: "Allow",
      Action: "kms:DescribeKey",
      Resource: c.keyArn,
      Condition: { StringEquals: viaSageMaker },
    },
  ];
}
