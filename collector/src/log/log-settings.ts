/**
 * Settings of log mode (issue 15), read from the environment by `loadLogSettings` and handed to
 * the collector's log committer and the billing worker.
 *
 * ```sh
 * NATS_URL=nats://10.0.0.1:4222,nats://10.0.0.2:4222 LOG_REPLICAS=3 perfpixel worker
 * ```
 */
import { z } from 'zod';
import { ConfigError } from '../config';

/** Everything log mode needs to know about the stream and its consumers. */
export interface LogSettings {
  /** NATS servers to connect to (any of the cluster's; the client learns the rest). */
  servers: string[];
  /** JetStream stream name; subjects are `<stream>.events.<shard>`. */
  stream: string;
  /** Shards (advertiser hash buckets); fixed for the life of the stream (checked at start). */
  shards: number;
  /** Copies of every message (1 for one server, 3 for a cluster: a write survives one server lost). */
  replicas: number;
  /** Stream size limit; past it publishes are refused (discard new) and collectors answer 503. */
  maxBytes: number;
  /** How long processed messages stay in the log for audit and replay. */
  maxAgeMs: number;
  /** JetStream drops a message whose ID it saw within this window. */
  duplicateWindowMs: number;
  /** A collector waits this long for the log's acknowledgement before answering 503. */
  publishTimeoutMs: number;
  /** Events published and not yet acknowledged by the log, per collector, before 503. */
  maxInFlight: number;
  /** Most messages a worker commits in one transaction, and the consumer's max_ack_pending. */
  batch: number;
  /** A batch not acknowledged within this time is delivered again (to the shard's next owner). */
  ackWaitMs: number;
}

const env = z.object({
  NATS_URL: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((l) => l.length > 0 && l.every((u) => /^(nats|tls):\/\/[^\s/]+$/.test(u) || /^[^\s/:]+:\d+$/.test(u)), 'a comma-separated list of nats://host:port'),
  LOG_STREAM: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - (at most 32)').default('perfpixel'),
  LOG_SHARDS: z.coerce.number().int().min(1).max(1024).default(16),
  LOG_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  LOG_MAX_BYTES: z.coerce.number().int().min(1024).default(8 * 2 ** 30),
  LOG_MAX_AGE_S: z.coerce.number().int().min(60).default(7 * 86_400),
  LOG_DUPLICATE_WINDOW_S: z.coerce.number().int().min(1).default(600),
  LOG_PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).default(2000),
  LOG_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(5000),
  WORKER_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  WORKER_ACK_WAIT_S: z.coerce.number().int().min(1).default(30),
});

/** Reads log mode's settings from `vars` (normally process.env); throws ConfigError listing every problem. */
export function loadLogSettings(vars: Record<string, string | undefined>): LogSettings {
  const parsed = env.safeParse(vars);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.LOG_DUPLICATE_WINDOW_S > e.LOG_MAX_AGE_S) throw new ConfigError('invalid configuration:\n  LOG_DUPLICATE_WINDOW_S: must not exceed LOG_MAX_AGE_S');
  return {
    servers: e.NATS_URL,
    stream: e.LOG_STREAM,
    shards: e.LOG_SHARDS,
    replicas: e.LOG_REPLICAS,
    maxBytes: e.LOG_MAX_BYTES,
    maxAgeMs: e.LOG_MAX_AGE_S * 1000,
    duplicateWindowMs: e.LOG_DUPLICATE_WINDOW_S * 1000,
    publishTimeoutMs: e.LOG_PUBLISH_TIMEOUT_MS,
    maxInFlight: e.LOG_MAX_IN_FLIGHT,
    batch: e.WORKER_BATCH,
    ackWaitMs: e.WORKER_ACK_WAIT_S * 1000,
  };
}
