/**
 * What every Warecast program starts with (index.ts and the test programs): the name prefix, the tagged AWS
 * provider, the component options that pass it on, and the Foundation built from the stack config. One piece, so
 * test programs compose exactly what index.ts composes.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { Foundation } from "./foundation";
import { stackPrefix } from "./naming";
import { createAwsProvider } from "./provider";

export interface StackBase {
  /** `<project>-<environment>`, e.g. `warecast-dev`: prefix of component names. */
  readonly namePrefix: string;
  /** The tagged provider every resource goes through. */
  readonly provider: aws.Provider;
  /** Pass to every top-level component: its children inherit the provider. */
  readonly opts: pulumi.ComponentResourceOptions;
  readonly foundation: Foundation;
}

export function createStackBase(cfg: StackConfig, project: string = pulumi.getProject()): StackBase {
  const namePrefix = stackPrefix(project, cfg.tags.environment);
  const provider = createAwsProvider(`${project}-aws`, cfg);
  const opts: pulumi.ComponentResourceOptions = { providers: { aws: provider } };
  const foundation = new Foundation(
    namePrefix,
    {
      region: cfg.aws.region,
      namePrefix,
      network: cfg.network,
      storage: cfg.storage,
      logRetentionDays: cfg.observability.logRetentionDays,
      functions: cfg.lambda,
    },
    opts,
  );
  return { namePrefix, provider, opts, foundation };
}
