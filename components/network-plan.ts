/**
 * Pure network planning: subnet CIDRs, the VPC endpoints Warecast's private workloads need, the NAT layout, and
 * what the network costs per month before any traffic (config checks the budget against it).
 */

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

/** The egress rule of every workload security group: HTTPS to AWS APIs (endpoints, the S3 gateway, or NAT). */
export const HTTPS_TO_AWS_EGRESS = {
  description: "HTTPS to AWS APIs",
  protocol: "tcp",
  fromPort: 443,
  toPort: 443,
  cidrBlocks: ["0.0.0.0/0"],
};

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

/**
 * Hourly list prices (USD, eu-west-1, November 2026) of the network's always-on parts. Other regions differ by a
 * few percent; docs/capacity.md uses the same numbers.
 */
export const NETWORK_HOURLY_USD = {
  /** One interface endpoint in one AZ. */
  interfaceEndpointAz: 0.011,
  /** One NAT gateway (data processing is usage, not fixed). */
  natGateway: 0.048,
  /** One public IPv4 address (each NAT gateway's Elastic IP). */
  publicIpv4: 0.005,
} as const;

export const HOURS_PER_MONTH = 730;

export interface NetworkCost {
  readonly interfaceEndpoints: number;
  readonly natGateways: number;
  readonly publicIps: number;
  /** USD per month, rounded to cents. */
  readonly total: number;
}

/** What the network costs per month with no traffic at all: endpoints per AZ-hour, NAT gateways and their IPs. */
export function networkFixedMonthlyUsd(n: {
  readonly azCount: number;
  readonly nat: "none" | "single" | "perAz";
  readonly interfaceEndpoints: boolean;
}): NetworkCost {
  const month = (hourly: number, count: number) => Math.round(hourly * count * HOURS_PER_MONTH * 100) / 100;
  const endpoints = n.interfaceEndpoints ? Object.keys(INTERFACE_ENDPOINTS).length * n.azCount : 0;
  const nats = natLayout(n.nat, n.azCount).count;
  const cost = {
    interfaceEndpoints: month(NETWORK_HOURLY_USD.interfaceEndpointAz, endpoints),
    natGateways: month(NETWORK_HOURLY_USD.natGateway, nats),
    publicIps: month(NETWORK_HOURLY_USD.publicIpv4, nats),
  };
  return {
    ...cost,
    total: Math.round((cost.interfaceEndpoints + cost.natGateways + cost.publicIps) * 100) / 100,
  };
}

/**
 * Availability zones per region, where AWS lists them (a region missing here is not checked before deploy; the
 * VPC then fails at preview when the region has fewer zones than asked). The largest count any account sees.
 */
export const REGION_AZ_COUNT: Readonly<Record<string, number>> = {
  "us-east-1": 6,
  "us-east-2": 3,
  "us-west-1": 3,
  "us-west-2": 4,
  "af-south-1": 3,
  "ap-east-1": 3,
  "ap-south-1": 3,
  "ap-south-2": 3,
  "ap-southeast-1": 3,
  "ap-southeast-2": 3,
  "ap-southeast-3": 3,
  "ap-southeast-4": 3,
  "ap-southeast-5": 3,
  "ap-southeast-7": 3,
  "ap-northeast-1": 4,
  "ap-northeast-2": 4,
  "ap-northeast-3": 3,
  "ca-central-1": 4,
  "ca-west-1": 3,
  "eu-central-1": 3,
  "eu-central-2": 3,
  "eu-west-1": 3,
  "eu-west-2": 3,
  "eu-west-3": 3,
  "eu-south-1": 3,
  "eu-south-2": 3,
  "eu-north-1": 3,
  "il-central-1": 3,
  "me-south-1": 3,
  "me-central-1": 3,
  "mx-central-1": 3,
  "sa-east-1": 3,
};
