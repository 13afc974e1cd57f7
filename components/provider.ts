/**
 * The stack's explicit AWS provider. Every resource is created through it (components receive it in
 * `opts.providers` / `opts.provider` and their children inherit it), so every resource carries the default tags.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";

/** Default tag keys on every taggable resource. */
export const TAG_KEYS = {
  project: "project",
  environment: "environment",
  owner: "owner",
  costCenter: "cost-center",
} as const;

/** The default tags for a stack: project, environment, owner, cost centre. */
export function defaultTags(project: string, cfg: Pick<StackConfig, "tags">): Record<string, string> {
  return {
    [TAG_KEYS.project]: project,
    [TAG_KEYS.environment]: cfg.tags.environment,
    [TAG_KEYS.owner]: cfg.tags.owner,
    [TAG_KEYS.costCenter]: cfg.tags.costCenter,
  };
}

/** Creates the tagged provider for the stack's region. */
export function createAwsProvider(
  name: string,
  cfg: Pick<StackConfig, "aws" | "tags">,
  opts: pulumi.CustomResourceOptions = {},
): aws.Provider {
  return new aws.Provider(
    name,
    {
      region: cfg.aws.region as aws.Region,
      defaultTags: { tags: defaultTags(pulumi.getProject(), cfg) },
    },
    opts,
  );
}
