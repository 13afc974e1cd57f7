import type * as pulumi from "@pulumi/pulumi";

/**
 * Options for a resource that a ForecastModel child component creates. The endpoint, retraining and promotion
 * resources sat directly under ForecastModel before it had children: the alias to that former parent keeps their
 * URNs (and, through the engine's inherited aliases, their own children's), so `pulumi up` on an existing stack
 * moves them under the child instead of replacing them. A child with no parent (a test) gets no alias.
 */
export function movedChild(
  child: pulumi.ComponentResource,
  formerParent: pulumi.Resource | undefined,
): { parent: pulumi.Resource; aliases: pulumi.Alias[] } {
  return { parent: child, aliases: formerParent ? [{ parent: formerParent }] : [] };
}
