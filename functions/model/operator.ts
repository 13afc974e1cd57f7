import { currentChampion, type Champion } from "./champion";
import { writeOnce, readPin, type Pin } from "./decisions";
import { createHash } from "node:crypto";
import { buildCreateModel, deployModel, type DeployResult, type ModelSpec } from "./deploy";
import { compactTimestamp, parseS3Uri, stableJson } from "./names";
import { getObjectBytes, type S3Api, type SageMakerApi } from "./ports";
import { getVersion, listVersions, versionFromPackage, type RegisteredVersion } from "./registry";
import { parseSettings } from "../lambda-wiring";
import { promoteSettingsSchema, type PromoteSettings } from "./settings";

/**
 * What `warecast model pin | unpin | rollback | redeploy | status` do, against the stack's endpoint. The operator names only
 * the endpoint: its current model's artifact locates the artifacts bucket, where the ForecastModel component
 * keeps the promote function's settings (`control/promote-settings.json`), so a pin deploys exactly as a
 * promotion would (same serving shape, KMS, VPC, blue/green with rollback alarms).
 */

export const SETTINGS_KEY = "control/promote-settings.json";

export interface OperatorDeps {
  readonly sagemaker: SageMakerApi;
  readonly s3: S3Api;
  readonly now?: () => Date;
  /** Who acts (recorded): e.g. the IAM identity or $USER. */
  readonly actor: string;
}

export interface StackContext {
  readonly settings: PromoteSettings;
  readonly serving: Champion;
}

/** Finds the stack's settings from its endpoint; `bucket` overrides the artifacts bucket lookup. */
export async function stackContext(
  deps: OperatorDeps,
  endpointName: string,
  bucket?: string,
): Promise<StackContext> {
  const serving = await currentChampion(deps.sagemaker, endpointName);
  const artifacts = bucket ?? parseS3Uri(serving.modelDataUrl).bucket;
  const bytes = await getObjectBytes(deps.s3, artifacts, SETTINGS_KEY);
  if (!bytes) {
    throw new Error(
      `s3://${artifacts}/${SETTINGS_KEY} not found: is ${artifacts} the artifacts bucket of the stack that owns ${endpointName}? (pass --bucket)`,
    );
  }
  const settings = parseSettings(promoteSettingsSchema(), SETTINGS_KEY, Buffer.from(bytes).toString("utf8"));
  if (settings.endpointName !== endpointName) {
    throw new Error(
      `${SETTINGS_KEY} in ${artifacts} belongs to endpoint ${settings.endpointName}, not ${endpointName}`,
    );
  }
  return { settings, serving };
}

function target(s: PromoteSettings) {
  return {
    endpointName: s.endpointName,
    roleArn: s.roleArn,
    kmsKeyArn: s.kmsKeyArn,
    serving: s.serving,
    deployment: s.deployment,
  };
}

async function recordOperator(
  deps: OperatorDeps,
  s: PromoteSettings,
  action: string,
  body: object,
): Promise<string> {
  const at = (deps.now ?? (() => new Date()))();
  const key = `${s.decisionsPrefix}operator/${compactTimestamp(at)}-${action}.json`;
  await writeOnce(deps.s3, s.artifactsBucket, key, {
    schema_version: 1,
    decided_at: at.toISOString(),
    action,
    actor: deps.actor,
    endpoint: s.endpointName,
    ...body,
  });
  return key;
}

/** The record fields of a deployed version. */
function deployed(v: RegisteredVersion, deploy: DeployResult) {
  return {
    version: v.version,
    model_package_arn: v.arn,
    model_name: v.spec.modelName,
    endpoint_config: deploy.endpointConfig,
    deploy: deploy.action,
  };
}

export interface ActionResult {
  readonly version: RegisteredVersion;
  readonly deploy: DeployResult;
  readonly record: string;
}

/**
 * Pins the endpoint to a registered version: deploys it, marks it Approved and writes the pin, so promotions are
 * held (recorded as `held-pinned`) until `unpin`. Pinning a Rejected version needs `force`.
 */
export async function pinVersion(
  deps: OperatorDeps,
  ctx: StackContext,
  version: number,
  reason: string,
  force = false,
): Promise<ActionResult> {
  const s = ctx.settings;
  const v = await getVersion(deps.sagemaker, s.modelPackageGroup, version);
  if (v.status === "Rejected" && !force) {
    throw new Error(`version ${version} is Rejected (${v.trainingJob}); pass --force to pin it anyway`);
  }
  const deploy = await deployModel(deps.sagemaker, v.spec, target(s));
  if (v.status !== "Approved") {
    await deps.sagemaker.updateModelPackage({
      ModelPackageArn: v.arn,
      ModelApprovalStatus: "Approved",
      ApprovalDescription: `pinned by ${deps.actor}: ${reason}`.slice(0, 1000),
    });
  }
  const pin: Pin = {
    model_package_arn: v.arn,
    version: v.version,
    pinned_at: (deps.now ?? (() => new Date()))().toISOString(),
    pinned_by: deps.actor,
    reason,
  };
  await deps.s3.putObject({
    Bucket: s.artifactsBucket,
    Key: s.pinKey,
    Body: `${JSON.stringify(pin, null, 2)}\n`,
    ContentType: "application/json",
  });
  const record = await recordOperator(deps, s, "pin", { reason, ...deployed(v, deploy) });
  return { version: v, deploy, record };
}

/** Removes the pin; the next completed training is gated and promoted as usual. */
export async function unpin(deps: OperatorDeps, ctx: StackContext, reason: string): Promise<Pin | undefined> {
  const s = ctx.settings;
  const pin = await readPin(deps.s3, s.artifactsBucket, s.pinKey);
  if (!pin) return undefined;
  await deps.s3.deleteObject({ Bucket: s.artifactsBucket, Key: s.pinKey });
  await recordOperator(deps, s, "unpin", { reason, version: pin.version });
  return pin;
}

/** The registered version the endpoint serves now, if it is one (the bootstrap model is not registered). */
export async function servingVersion(
  deps: OperatorDeps,
  ctx: StackContext,
): Promise<RegisteredVersion | undefined> {
  for (const v of await listVersions(deps.sagemaker, ctx.settings.modelPackageGroup)) {
    const full = versionFromPackage(await deps.sagemaker.describeModelPackage({ ModelPackageName: v.arn }));
    if (full.spec.modelDataUrl === ctx.serving.modelDataUrl) return full;
  }
  return undefined;
}

/**
 * Rolls back to the newest Approved version older than the one serving, and marks the serving one Rejected so a
 * second rollback goes one further back. Refuses while pinned (the pin is the operator's explicit choice).
 */
export async function rollback(deps: OperatorDeps, ctx: StackContext, reason: string): Promise<ActionResult> {
  const s = ctx.settings;
  const pin = await readPin(deps.s3, s.artifactsBucket, s.pinKey);
  if (pin)
    throw new Error(
      `endpoint is pinned to version ${pin.version} by ${pin.pinned_by}: unpin or pin another version`,
    );
  const current = await servingVersion(deps, ctx);
  if (!current) {
    throw new Error(
      `the endpoint serves ${ctx.serving.modelName}, which is not in the registry (the bootstrap model): nothing to roll back to`,
    );
  }
  const previous = (await listVersions(deps.sagemaker, s.modelPackageGroup)).find(
    (v) => v.version < current.version && v.status === "Approved",
  );
  if (!previous) throw new Error(`no Approved version older than ${current.version} to roll back to`);
  const v = versionFromPackage(await deps.sagemaker.describeModelPackage({ ModelPackageName: previous.arn }));
  const deploy = await deployModel(deps.sagemaker, v.spec, target(s));
  await deps.sagemaker.updateModelPackage({
    ModelPackageArn: current.arn,
    ModelApprovalStatus: "Rejected",
    ApprovalDescription: `rolled back by ${deps.actor}: ${reason}`.slice(0, 1000),
  });
  const record = await recordOperator(deps, s, "rollback", {
    reason,
    from_version: current.version,
    ...deployed(v, deploy),
  });
  return { version: v, deploy, record };
}

export interface RedeployResult {
  /** The model deployed: the serving one, or a copy of it in the stack's current subnets. */
  readonly modelName: string;
  readonly deploy: DeployResult;
  readonly record: string;
}

/**
 * Deploys the model the endpoint serves again, with the stack's current serving and deployment settings (what the
 * last `pulumi up` wrote to control/promote-settings.json): how a change of instance type, fleet size, memory,
 * network or blue/green settings reaches the live endpoint without waiting for the next promotion. It takes the
 * promotion's path (deployModel: a new endpoint config, blue/green with the rollback alarms when on).
 */
export async function redeploy(
  deps: OperatorDeps,
  ctx: StackContext,
  reason: string,
): Promise<RedeployResult> {
  const s = ctx.settings;
  const serving = await deps.sagemaker.describeModel({ ModelName: ctx.serving.modelName });
  const container = serving.PrimaryContainer;
  if (!container?.Image) throw new Error(`model ${ctx.serving.modelName} has no primary container image`);
  const spec: ModelSpec = {
    modelName: ctx.serving.modelName,
    image: container.Image,
    modelDataUrl: ctx.serving.modelDataUrl,
    environment: { ...(container.Environment ?? {}) },
  };
  // A model's VPC is fixed at creation: a model for other subnets is a copy, named after what CreateModel sends.
  const wanted = buildCreateModel(spec, { roleArn: s.roleArn, serving: s.serving }).VpcConfig;
  const same = stableJson(wanted ?? null) === stableJson(serving.VpcConfig ?? null);
  const modelName = same ? spec.modelName : `${spec.modelName.slice(0, 54)}-${hash8(wanted)}`;
  const deploy = await deployModel(deps.sagemaker, { ...spec, modelName }, target(s));
  const record = await recordOperator(deps, s, "redeploy", {
    reason,
    model_name: modelName,
    endpoint_config: deploy.endpointConfig,
    deploy: deploy.action,
  });
  return { modelName, deploy, record };
}

function hash8(value: unknown): string {
  return createHash("sha256").update(stableJson(value)).digest("hex").slice(0, 8);
}
