/** Every Lambda function of the prod stack, run as it ships (tests/lambda/suite.ts). */
import { describeArtifacts } from "./suite";

describeArtifacts("prod");
