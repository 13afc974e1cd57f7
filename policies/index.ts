import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./rules";

/**
 * The Warecast policy pack. `pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json`
 * runs it; `warecast policy-check --stack <stack>` runs it offline against the mocked stack. Levels come from the
 * per-stack config files; a rule missing from them is advisory.
 */
new PolicyPack(PACK_NAME, {
  description:
    "Warecast platform promises: encryption with the stack key, private networking, least privilege, guarded endpoints.",
  enforcementLevel: "advisory",
  policies,
});
