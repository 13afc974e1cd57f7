/** Every Lambda function of the dev stack, run as it ships (tests/lambda/suite.ts). */
import { describeArtifacts } from "./suite";

describeArtifacts("dev");
