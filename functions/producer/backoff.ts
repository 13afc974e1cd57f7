/** How the producer retries records that Firehose did not accept. */
export interface RetryPolicy {
  /** Attempts per record including the first. Default 8. */
  readonly maxAttempts: number;
  /** Delay ceiling before the first retry, in ms. Default 100. */
  readonly baseDelayMs: number;
  /** Upper bound of any single delay, in ms. Default 10,000. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 10_000 };

/**
 * Delay before retry number `retry` (1 = first retry): exponential backoff with "full jitter", a uniformly
 * random delay in [0, min(maxDelay, base · 2^(retry-1))). Jitter spreads many producers' retries apart so
 * they do not hit a throttled stream in lockstep.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new Error(`retry.maxAttempts must be an integer ≥ 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new Error(
      `retry delays must satisfy 0 ≤ baseDelayMs ≤ maxDelayMs, got ${policy.baseDelayMs} and ${policy.maxDelayMs}`,
    );
  }
  return policy;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
