/** Every Lambda function of the dev stack, run as it ships (tests/support/lambda/suite.ts). */
import { describeArtifacts } from "../support/lambda/suite";

describeArtifacts("dev");
