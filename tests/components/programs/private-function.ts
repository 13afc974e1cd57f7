/** A test program: the foundation plus one PrivateFunction, under the same tagged provider as index.ts. */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../../config";
import { PrivateFunction } from "../../../components/private-function";
import { createStackBase } from "../../../components/stack-base";

const cfg = loadStackConfig();
const { opts, foundation } = createStackBase(cfg);

const fn = new PrivateFunction(
  "echo",
  {
    ...foundation.functions,
    description: "test function",
    callbackFactory: () => async (event: { value: number }) => ({ value: event.value }),
    packages: ["csv-parse"],
    policyStatements: [
      // pulumi.output deep-unwraps, turning a statement with Output fields into an Output<PolicyStatement>.
      pulumi.output({
        Sid: "ReadRaw",
        Effect: "Allow" as const,
        Action: "s3:GetObject",
        Resource: pulumi.interpolate`${foundation.rawBucket.arn}/*`,
      }),
    ],
    environment: { RAW_BUCKET: foundation.rawBucket.name },
  },
  opts,
);

export const functionName = fn.functionName;
