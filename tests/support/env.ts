// Runs before every jest test file: no test may find real AWS credentials or reach AWS.
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";
process.env.AWS_SESSION_TOKEN = "testing";
process.env.AWS_REGION = "eu-west-1";
process.env.AWS_DEFAULT_REGION = "eu-west-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";
delete process.env.AWS_PROFILE;
// Powertools: no X-Ray daemon in tests, and metrics flush without a namespace warning.
process.env.POWERTOOLS_TRACE_ENABLED = "false";
process.env.POWERTOOLS_DEV = "true";
