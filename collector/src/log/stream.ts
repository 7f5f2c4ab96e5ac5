/**
 * The one JetStream stream every collector publishes to, and one durable pull consumer per shard
 * that the shard's billing worker reads. Both collectors and workers call `ensureStream` at start:
 * the first creates, the others check.
 *
 * ```ts
 * const { nc, jsm } = await connectLog(settings);
 * await ensureStream(jsm, settings);          // throws when the stream has another shard count
 * subjectOf(settings, shardOf('adv_shop', settings.shards));   // 'perfpixel.events.3'
 * ```
 *
 * | setting            | value                   | why                                                        |
 * |--------------------|-------------------------|------------------------------------------------------------|
 * | storage            | file                    | a message survives a server restart                        |
 * | replicas           | LOG_REPLICAS (3 in a cluster) | acknowledged once a majority of replicas hold it      |
 * | retention          | limits (age, bytes)     | processed messages stay for audit and replay (test:cluster replays them) |
 * | discard            | new                     | a full log refuses the write (collector: 503) instead of dropping old, maybe unbilled, events |
 * | duplicate window   | LOG_DUPLICATE_WINDOW_S  | a re-sent event is dropped by the log itself               |
 * | consumer ack       | explicit, max_ack_pending = batch | one batch in flight per shard; each message acknowledged after its COMMIT (ack-all would also acknowledge an earlier delivery that was lost on the way and never processed) |
 */
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { LogSettings } from './log-settings';

/** A connection to the log. */
export interface LogConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Connects to the NATS servers of `settings`; the client reconnects on its own, forever. */
export async function connectLog(settings: Pick<LogSettings, 'servers'>, name: string): Promise<LogConnection> {
  const nc = await connect({ servers: settings.servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 5000 });
  const jsm = await untilReady(() => jetstreamManager(nc));
  return { nc, js: jetstream(nc), jsm };
}

/**
 * Retries `fn` for up to `ms` while JetStream is not ready yet — a cluster that just started, or
 * is electing a leader, answers "no responders" or times out for a few seconds.
 */
export async function untilReady<T>(
  fn: () => Promise<T>,
  onRetry?: (err: unknown) => void,
  ms = 60_000,
  retryable: (err: unknown) => boolean = (err) => !/shards=|was created with/.test(String((err as Error)?.message)),
): Promise<T> {
  const until = Date.now() + ms;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until || !retryable(err)) throw err;
      onRetry?.(err);
      await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
    }
  }
}

/** The subject a shard's events are published on. */
export function subjectOf(s: Pick<LogSettings, 'stream'>, shard: number): string {
  return `${s.stream}.events.${shard}`;
}

/** The durable consumer a shard's owner reads. */
export function consumerOf(shard: number): string {
  return `shard-${shard}`;
}

/** The stream description records its shard count, so a process configured otherwise refuses to start. */
const describe = (shards: number) => `perfpixel events; shards=${shards}`;

/** Creates the stream and the shard consumers, or checks that the existing ones match `settings`. */
export async function ensureStream(jsm: JetStreamManager, s: LogSettings): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(s.stream);
  } catch (err) {
    if ((err as { name?: string }).name !== 'StreamNotFoundError') throw err;
    try {
      info = await jsm.streams.add({
        name: s.stream,
        description: describe(s.shards),
        subjects: [`${s.stream}.events.*`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        num_replicas: s.replicas,
        max_bytes: s.maxBytes,
        max_age: nanos(s.maxAgeMs),
        discard: DiscardPolicy.New,
        duplicate_window: nanos(s.duplicateWindowMs),
      });
    } catch (again) {
      // Another process created it at the same moment: read theirs.
      info = await jsm.streams.info(s.stream).catch(() => {
        throw again;
      });
    }
  }
  if (info.config.description !== describe(s.shards)) {
    throw new Error(`stream ${s.stream} was created with "${info.config.description ?? ''}", not shards=${s.shards}: shards are fixed for the life of a stream (README "Running past one machine")`);
  }
  for (let shard = 0; shard < s.shards; shard++) {
    const config = {
      durable_name: consumerOf(shard),
      filter_subject: subjectOf(s, shard),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(s.ackWaitMs),
      max_ack_pending: s.batch,
      max_deliver: -1,
    };
    try {
      const c = await jsm.consumers.info(s.stream, config.durable_name);
      if (c.config.max_ack_pending !== s.batch || c.config.ack_wait !== config.ack_wait) await jsm.consumers.update(s.stream, config.durable_name, { max_ack_pending: s.batch, ack_wait: config.ack_wait });
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConsumerNotFoundError') throw err;
      await jsm.consumers.add(s.stream, config).catch(async (again: unknown) => {
        if (!(await jsm.consumers.info(s.stream, config.durable_name).catch(() => null))) throw again;
      });
    }
  }
  return info;
}

/** What the shard consumers still hold: messages not yet delivered, and delivered but not acknowledged. */
export async function backlog(jsm: JetStreamManager, s: Pick<LogSettings, 'stream' | 'shards'>): Promise<{ pending: number; ackPending: number }> {
  let pending = 0;
  let ackPending = 0;
  for (let shard = 0; shard < s.shards; shard++) {
    const c = await jsm.consumers.info(s.stream, consumerOf(shard));
    pending += c.num_pending;
    ackPending += c.num_ack_pending;
  }
  return { pending, ackPending };
}

/** Resolves once every shard consumer is drained (nothing pending, nothing unacknowledged), or with what is left at the deadline. */
export async function waitDrained(jsm: JetStreamManager, s: Pick<LogSettings, 'stream' | 'shards'>, timeoutMs: number): Promise<{ pending: number; ackPending: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = await backlog(jsm, s);
    if ((left.pending === 0 && left.ackPending === 0) || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}
