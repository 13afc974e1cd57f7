/**
 * PrivateFunction: every Warecast Lambda. Wraps aws.lambda.CallbackFunction (the caller supplies the callback
 * factory that wires a handler from functions/ to its clients) and adds what every function needs:
 * - a role with only the caller's statements, plus VPC networking, its own log group and X-Ray;
 * - its own encrypted log group (stack retention), JSON logs;
 * - private subnets and a security group with no ingress (egress HTTPS only);
 * - active X-Ray tracing, environment encrypted with the stack key, reserved concurrency;
 * - a zip with only the packages the handler requires (its own list plus Powertools), the pinned AWS SDK v3
 *   clients among them (components/function-packages.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import type { Encryption } from "./encryption";
import { POWERTOOLS_PACKAGES, zipExclusions } from "./function-packages";
import { createLogGroup, logGroupPath, type LogSettings } from "./log-group";
import type { Network } from "./network";
import {
  assumeRolePolicy,
  lambdaVpcAccessStatement,
  logWriteStatement,
  policyDocument,
  xrayWriteStatement,
  type PolicyStatement,
} from "./policy-documents";

/** What all functions of a stack share. `Foundation.functions` provides it; spread it into PrivateFunctionArgs. */
export interface FunctionSettings {
  readonly network: Network;
  readonly key: Encryption;
  readonly logs: LogSettings;
  readonly region: string;
  /** -1 leaves the function unreserved. */
  readonly reservedConcurrency: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
}

export interface PrivateFunctionArgs<E, R> extends FunctionSettings {
  /** Builds clients once per container and returns the handler (see the Lambda pattern in the README). Required. */
  readonly callbackFactory: aws.lambda.CallbackFactory<E, R>;
  /**
   * The package.json dependencies the handler's code requires (AWS SDK clients included); the zip carries these,
   * Powertools and their dependencies, nothing else. Required (the artifact tests check it against the code).
   */
  readonly packages: readonly string[];
  /** What the function does (Lambda description). Required. */
  readonly description: string;
  /** IAM statements for what the handler calls; the role gets nothing else beyond VPC, logs and X-Ray. Default none. */
  readonly policyStatements?: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
  /** Environment variables. POWERTOOLS_SERVICE_NAME defaults to the component name. Default none. */
  readonly environment?: Record<string, pulumi.Input<string>>;
}

export class PrivateFunction<E = unknown, R = unknown> extends pulumi.ComponentResource {
  public readonly function: aws.lambda.CallbackFunction<E, R>;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly arn: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;
  public readonly invokeArn: pulumi.Output<string>;

  constructor(name: string, args: PrivateFunctionArgs<E, R>, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:foundation:PrivateFunction", name, {}, opts);
    const reserved = args.reservedConcurrency;
    if (!Number.isInteger(reserved) || reserved < -1) {
      throw new Error(
        `PrivateFunction ${name}: reservedConcurrency must be -1 (unreserved) or a whole number ≥ 0; got ${reserved}`,
      );
    }
    if (!Number.isInteger(args.memoryMiB) || args.memoryMiB < 128 || args.memoryMiB > 10240) {
      throw new Error(
        `PrivateFunction ${name}: memoryMiB must be an integer from 128 to 10240; got ${args.memoryMiB}`,
      );
    }
    if (!Number.isInteger(args.timeoutSeconds) || args.timeoutSeconds < 1 || args.timeoutSeconds > 900) {
      throw new Error(
        `PrivateFunction ${name}: timeoutSeconds must be an integer from 1 to 900; got ${args.timeoutSeconds}`,
      );
    }
    const child = { parent: this };
    const ctx = accountContext(this, args.region);

    this.logGroup = createLogGroup(
      `${name}-logs`,
      { ...args.logs, logGroupName: logGroupPath(args.logs.namePrefix, "lambda", name) },
      child,
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Execution role of ${name}`,
        assumeRolePolicy: ctx.apply((c) =>
          JSON.stringify(assumeRolePolicy("lambda.amazonaws.com", c.accountId)),
        ),
      },
      child,
    );
    const statements = pulumi.output(args.policyStatements ?? []) as pulumi.Output<PolicyStatement[]>;
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([statements, this.logGroup.arn])
          .apply(([own, logArn]) =>
            JSON.stringify(
              policyDocument([
                logWriteStatement(logArn),
                lambdaVpcAccessStatement(),
                xrayWriteStatement(),
                ...own,
              ]),
            ),
          ),
      },
      child,
    );
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.network.vpcId,
        description: `${name}: no ingress; HTTPS out to AWS APIs`,
        ingress: [],
        egress: [
          {
            description: "HTTPS to AWS APIs",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
        ],
      },
      child,
    );

    this.function = new aws.lambda.CallbackFunction<E, R>(
      `${name}`,
      {
        callbackFactory: args.callbackFactory,
        description: args.description,
        runtime: aws.lambda.Runtime.NodeJS22dX,
        architectures: ["arm64"],
        role: this.role,
        memorySize: args.memoryMiB,
        timeout: args.timeoutSeconds,
        reservedConcurrentExecutions: reserved,
        kmsKeyArn: args.key.keyArn,
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        vpcConfig: { subnetIds: args.network.privateSubnetIds, securityGroupIds: [this.securityGroup.id] },
        environment: {
          variables: {
            POWERTOOLS_SERVICE_NAME: name,
            NODE_OPTIONS: "--enable-source-maps",
            ...(args.environment ?? {}),
          },
        },
        codePathOptions: { extraExcludePackages: zipExclusions([...POWERTOOLS_PACKAGES, ...args.packages]) },
      },
      // The role's policy must exist before the function starts (VPC ENIs, logs).
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.arn = this.function.arn;
    this.functionName = this.function.name;
    this.invokeArn = this.function.invokeArn;
    this.registerOutputs({ arn: this.arn, functionName: this.functionName });
  }
}
