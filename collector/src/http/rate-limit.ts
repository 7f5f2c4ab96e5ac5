/**
 * Per-source token buckets (SPEC §3.1 "rate limits per source"), in memory and bounded: at most
 * `maxSources` buckets, the least recently used dropped first, so a flood of sources cannot grow
 * memory. Per process: behind a load balancer each process limits its share.
 */

/** A rate limiter: `take(key)` answers 0 when allowed, else the seconds to wait. */
export interface RateLimiter {
  take(key: string, now: number, cost?: number): number;
}

/** Options: `rate` tokens per second, up to `burst`. */
export interface RateLimitOptions {
  rate: number;
  burst: number;
  maxSources?: number;
}

/** Creates a token-bucket limiter. */
export function createRateLimiter(o: RateLimitOptions): RateLimiter {
  const max = o.maxSources ?? 50_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, now, cost = 1) {
      let b = buckets.get(key);
      if (b) buckets.delete(key); // re-insert below: Map order is our LRU order
      else b = { tokens: o.burst, at: now };
      b.tokens = Math.min(o.burst, b.tokens + ((now - b.at) / 1000) * o.rate);
      b.at = now;
      let wait = 0;
      if (b.tokens >= cost) b.tokens -= cost;
      else wait = Math.max(1, Math.ceil((cost - b.tokens) / o.rate));
      buckets.set(key, b);
      if (buckets.size > max) buckets.delete(buckets.keys().next().value!);
      return wait;
    },
  };
}
