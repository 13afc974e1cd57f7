import type { Policies } from "@pulumi/policy";
import { apiGatewayPolicies } from "./apigateway";
import { bucketPolicies } from "./buckets";
import { cloudTrailPolicies } from "./cloudtrail";
import { encryptionPolicies } from "./encryption";
import { iamPolicies } from "./iam";
import { lambdaPolicies } from "./lambda";
import { networkPolicies } from "./network";
import { sagemakerPolicies } from "./sagemaker";
import { tuningGuarded } from "./sagemaker-tuning";
import { tagPolicies } from "./tags";

/**
 * Every Warecast rule. Kept apart from index.ts because constructing a PolicyPack starts its gRPC server, which
 * never exits: tests and tooling import this list, only the pack entry point serves it.
 */
export const PACK_NAME = "warecast";

export const policies: Policies = [
  ...encryptionPolicies,
  ...bucketPolicies,
  ...iamPolicies,
  ...lambdaPolicies,
  ...networkPolicies,
  ...apiGatewayPolicies,
  ...cloudTrailPolicies,
  ...sagemakerPolicies,
  tuningGuarded,
  ...tagPolicies,
];
