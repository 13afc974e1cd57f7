import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccountContext } from "./policy-documents";

/**
 * Account id, partition and region as one Output, looked up through `parent`'s provider (the tagged stack
 * provider), for building policy documents.
 */
export function accountContext(
  parent: pulumi.Resource,
  region: pulumi.Input<string>,
): pulumi.Output<AccountContext> {
  const identity = aws.getCallerIdentityOutput({}, { parent });
  const partition = aws.getPartitionOutput({}, { parent });
  return pulumi.all([identity.accountId, partition.partition, region]).apply(([accountId, p, r]) => ({
    accountId,
    partition: p,
    region: r,
  }));
}
