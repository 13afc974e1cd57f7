/** Pure network planning: subnet CIDRs and the VPC endpoints Warecast's private workloads need. */

/** Interface endpoints (service suffix after `com.amazonaws.<region>.`) and who needs each. */
export const INTERFACE_ENDPOINTS = {
  "sagemaker.api": "retrain/promote functions: training jobs, endpoint updates",
  "sagemaker.runtime": "predict function: InvokeEndpoint",
  glue: "glue-trigger function and the Glue job: job runs, catalog",
  logs: "functions, Glue and SageMaker in the VPC: CloudWatch Logs",
  monitoring: "functions: CloudWatch metrics (Powertools EMF goes through logs; PutMetricData through this)",
  kms: "every workload reading or writing data under the stack key",
  sts: "SDK credential and role calls from private workloads",
  "kinesis-firehose": "predict function: served-forecast log stream",
  events: "functions: EventBridge PutEvents",
  sqs: "API functions: bulk forecast job queue",
  "ecr.api": "SageMaker instance endpoint in the VPC: container image metadata",
  "ecr.dkr": "SageMaker instance endpoint in the VPC: container image layers",
} as const;

export type InterfaceEndpointService = keyof typeof INTERFACE_ENDPOINTS;

/** Gateway endpoints (free): S3 for data and ECR layers. */
export const GATEWAY_ENDPOINTS = ["s3"] as const;

export interface SubnetPlan {
  readonly public: string[];
  readonly private: string[];
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * Splits the VPC CIDR into 16 equal blocks (prefix + 4): private subnets take blocks 0..azCount-1 (room for
 * workloads), public subnets blocks 8..8+azCount-1 (NAT gateways only). Deterministic, so adding an AZ never
 * renumbers existing subnets.
 */
export function planSubnets(vpcCidr: string, azCount: number): SubnetPlan {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(vpcCidr);
  if (!match) throw new Error(`planSubnets: vpcCidr must look like 10.0.0.0/16; got "${vpcCidr}"`);
  const prefix = Number(match[2]);
  if (prefix < 16 || prefix > 24)
    throw new Error(`planSubnets: vpcCidr prefix must be /16 to /24; got /${prefix}`);
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > 8) {
    throw new Error(`planSubnets: azCount must be an integer from 1 to 8; got ${azCount}`);
  }
  const size = 2 ** (32 - prefix);
  const base = ipToInt(match[1]);
  if (base % size !== 0) throw new Error(`planSubnets: ${vpcCidr} is not aligned to its prefix`);
  const block = size / 16;
  const cidr = (i: number) => `${intToIp(base + i * block)}/${prefix + 4}`;
  return {
    private: Array.from({ length: azCount }, (_, i) => cidr(i)),
    public: Array.from({ length: azCount }, (_, i) => cidr(8 + i)),
  };
}

/** NAT gateways per strategy: how many, and which one each AZ's private route table uses (undefined: no route). */
export function natLayout(
  nat: "none" | "single" | "perAz",
  azCount: number,
): { count: number; forAz: (i: number) => number | undefined } {
  switch (nat) {
    case "none":
      return { count: 0, forAz: () => undefined };
    case "single":
      return { count: 1, forAz: () => 0 };
    case "perAz":
      return { count: azCount, forAz: (i) => i };
  }
}
