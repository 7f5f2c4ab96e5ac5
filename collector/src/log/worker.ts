/**
 * The billing worker of log mode: owns some shards (leases), and for each pulls a batch from the
 * shard's durable consumer, runs it through today's pipeline (`commitGroup`) in one PostgreSQL
 * transaction together with the shard's offset, commits, then acknowledges the batch.
 *
 * ```ts
 * const worker = createWorker({ log, settings, db, leases, pipeline, logger, clock });
 * await worker.start();   // takes its share of the shards, rebalances every second
 * await worker.stop();    // finishes the batches in hand, acknowledges them, gives the shards back
 * ```
 *
 * | moment                                   | what happens                                                  |
 * |------------------------------------------|---------------------------------------------------------------|
 * | batch pulled                             | messages at or below the shard's offset are skipped (already committed) |
 * | transaction                              | offset row locked and checked → items → offset moved to the batch's last sequence → COMMIT |
 * | crash after COMMIT, before the ack       | the batch comes back after ack_wait; the offset skips all of it: nothing is charged twice |
 * | PostgreSQL down                          | the batch is retried (its ack deadline extended) until it commits or the lease is lost |
 * | lease lost (connection or process died)  | the runner stops; its unacknowledged messages go to the next owner |
 *
 * One batch in flight per shard (max_ack_pending = batch, stream.ts) keeps each advertiser's
 * events in log order, including across a change of owner: a runner that starts on a shard with
 * unacknowledged deliveries (a dead owner's batch), or whose pull was cut off, waits until they
 * are due again (ack_wait) so they come back before anything newer — the offset skips what is at
 * or below it as done, so an older message must never arrive after a newer one was committed.
 */
import type { Logger } from 'pino';
import type { JsMsg } from '@nats-io/jetstream';
import type { Db } from '../store/db';
import { createSqlWriteTx } from '../store/sql-write-tx';
import type { CampaignTerms } from '../core/terms';
import { commitGroup, type WriteFn } from '../ingest/commit-group';
import type { IngestItem, ItemResult } from '../ingest/items';
import type { PipelineDeps } from '../ingest/pipeline';
import { decodeItem } from './codec';
import type { Leases } from './lease';
import type { LogSettings } from './log-settings';
import { lockOffset, OffsetMoved, readOffset, setOffset } from './offsets';
import { consumerOf, type LogConnection } from './stream';

/** What a committed batch was (for metrics and the crash test's hook). */
export interface CommittedBatch {
  shard: number;
  firstSeq: number;
  lastSeq: number;
  /** Messages whose effects this transaction wrote (the rest were committed before). */
  fresh: number;
  results: ItemResult[];
}

/** What a worker is built from. */
export interface WorkerOptions {
  log: Pick<LogConnection, 'js' | 'jsm'>;
  settings: Pick<LogSettings, 'stream' | 'shards' | 'batch' | 'ackWaitMs'>;
  /** The PostgreSQL driver the store is built on (the batch transaction wraps it with the offset). */
  db: Db;
  leases: Leases;
  pipeline: PipelineDeps;
  logger: Logger;
  clock: () => number;
  /** How often ownership is reviewed (fair share, dead peers' shards). */
  rebalanceMs?: number;
  /** How long a pull waits for messages (JetStream's minimum is 1 s). */
  pullExpiresMs?: number;
  /** Called after a batch committed and before it is acknowledged. */
  afterCommit?: (batch: CommittedBatch) => void | Promise<void>;
}

/** A running worker. */
export interface Worker {
  start(): Promise<void>;
  /** Finishes the batches in hand, acknowledges them and releases every shard. */
  stop(): Promise<void>;
  /** Shards this worker runs now. */
  shards(): number[];
  /** Messages committed and acknowledged since start. */
  processed(): number;
}

/** Creates a billing worker. */
export function createWorker(o: WorkerOptions): Worker {
  const runners = new Map<number, { stop: () => void; done: Promise<void> }>();
  const termsCache = new Map<string, CampaignTerms>();
  const groupDeps = { pipeline: o.pipeline, logger: o.logger, clock: o.clock };
  const { stream } = o.settings;
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let reviewing: Promise<void> = Promise.resolve();
  let processed = 0;
  // Start the search for free shards at a different place in each worker, so two starting at once do not collide on every lock.
  const offset = Math.floor(Math.random() * o.settings.shards);

  /** The batch transaction: offset fence, the items, the new offset — one COMMIT. */
  const fenced =
    (shard: number, expected: bigint, lastSeq: bigint): WriteFn =>
    (fn) =>
      o.db.transaction(async (tx) => {
        await lockOffset(tx, stream, shard, expected);
        const w = createSqlWriteTx(tx, termsCache);
        const out = await fn(w);
        // As Store.write does: the groups the batch posted are linked into the ledger chain before COMMIT.
        await w.seal(o.clock());
        await setOffset(tx, stream, shard, lastSeq);
        return out;
      });

  const commitBatch = async (shard: number, msgs: JsMsg[], running: () => boolean): Promise<boolean> => {
    const firstSeq = msgs[0]!.seq;
    const lastSeq = msgs[msgs.length - 1]!.seq;
    for (let attempt = 0; ; attempt++) {
      if (!running()) return false;
      try {
        const done = await readOffset(o.db, stream, shard);
        const fresh = msgs.filter((m) => BigInt(m.seq) > done);
        let results: ItemResult[] = [];
        if (fresh.length > 0) {
          const items = fresh.map((m) => toItem(m, o.clock));
          results = await commitGroup(fenced(shard, done, BigInt(lastSeq)), items, groupDeps);
        }
        await o.afterCommit?.({ shard, firstSeq, lastSeq, fresh: fresh.length, results });
        return true;
      } catch (err) {
        if (err instanceof OffsetMoved) continue; // another owner committed meanwhile: read the offset again
        if (stopping) return false; // shutting down with the database away: the next owner takes the batch
        o.logger.warn({ err, shard, firstSeq, lastSeq, attempt }, 'batch not committed; retrying');
        // Keep the batch ours while the database is away: its ack deadline starts again.
        for (const m of msgs) m.working();
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    }
  };

  const runShard = (shard: number) => {
    let running = true;
    const done = (async () => {
      const consumer = await o.log.js.consumers.get(stream, consumerOf(shard));
      // Messages delivered to someone and not acknowledged — a previous owner's batch when it
      // died, or a pull of ours cut off on the way — come back only after ack_wait. Pulling
      // before that would take newer messages first, and the offset would then skip the older
      // ones as done: wait until they are due, so they come first (redeliveries go before new).
      const waitForStrays = async () => {
        const info = await o.log.jsm.consumers.info(stream, consumerOf(shard)).catch(() => null);
        if (info && info.num_ack_pending > 0) await sleep(o.settings.ackWaitMs + 500);
      };
      await waitForStrays();
      // Consumer delivery sequences are consecutive for a consumer with one reader; a gap means
      // deliveries went somewhere we did not read (a consumer leader that died after sending
      // them), and they come back only after ack_wait.
      let lastDelivery: number | null = null;
      while (running && !stopping) {
        let msgs: JsMsg[] = [];
        let cutOff = false;
        try {
          const iter = await consumer.fetch({ max_messages: o.settings.batch, expires: o.pullExpiresMs ?? 1000 });
          for await (const m of iter) msgs.push(m);
        } catch (err) {
          // The log is away (leader election, reconnect): messages of this pull may have been
          // delivered after we stopped listening.
          o.logger.warn({ err, shard }, 'pull failed');
          cutOff = true;
        }
        if (msgs.length > 0) {
          msgs = msgs.sort((a, b) => a.seq - b.seq);
          const deliveries = msgs.map((m) => m.info.deliverySequence).sort((a, b) => a - b);
          const gap = (lastDelivery !== null && deliveries[0]! > lastDelivery + 1) || deliveries.some((d, k) => k > 0 && d !== deliveries[k - 1]! + 1);
          if (gap) {
            o.logger.warn({ shard, after: lastDelivery, got: deliveries[0] }, 'deliveries missing: waiting for them before anything newer');
            for (const m of msgs) m.nak();
            await sleep(o.settings.ackWaitMs + 500);
            lastDelivery = null;
            continue;
          }
          lastDelivery = deliveries.at(-1)!;
          if (await commitBatch(shard, msgs, () => o.leases.owned().has(shard))) {
            // Each message on its own (explicit acks). A lost ack only means a redelivery, which
            // the offset turns into a no-op.
            for (const m of msgs) m.ack();
            processed += msgs.length;
          } else {
            // Lease lost or stopping: give the batch back at once for the next owner, in order.
            for (const m of msgs) m.nak();
            continue;
          }
        }
        if (cutOff) {
          await waitForStrays();
          lastDelivery = null;
        }
      }
    })().catch((err: unknown) => o.logger.error({ err, shard }, 'shard runner failed'));
    runners.set(shard, {
      stop: () => {
        running = false;
      },
      done,
    });
  };

  const stopShard = async (shard: number) => {
    const r = runners.get(shard);
    if (!r) return;
    r.stop();
    await r.done;
    runners.delete(shard);
    await o.leases.release(shard);
  };

  /** Ownership review: drop shards whose lease died, give back more than a fair share, take free ones up to it. */
  const review = async () => {
    for (const shard of [...runners.keys()]) if (!o.leases.owned().has(shard)) await stopShard(shard);
    let workers: number;
    try {
      workers = await o.leases.workers();
    } catch (err) {
      o.logger.warn({ err }, 'cannot reach PostgreSQL for leases');
      for (const shard of [...runners.keys()]) await stopShard(shard);
      return;
    }
    const fair = Math.ceil(o.settings.shards / workers);
    while (runners.size > fair) await stopShard(Math.max(...runners.keys()));
    for (let k = 0; k < o.settings.shards && runners.size < fair; k++) {
      const shard = (offset + k) % o.settings.shards;
      if (runners.has(shard)) continue;
      if (await o.leases.tryTake(shard)) runShard(shard);
    }
  };

  const tick = () => {
    reviewing = reviewing
      .then(review)
      .catch((err: unknown) => o.logger.warn({ err }, 'shard review failed'))
      .finally(() => {
        if (!stopping) timer = setTimeout(tick, o.rebalanceMs ?? 1000);
      });
  };

  return {
    async start() {
      tick();
      await reviewing;
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await reviewing;
      await Promise.all([...runners.keys()].map(stopShard));
    },
    shards: () => [...runners.keys()].sort((a, b) => a - b),
    processed: () => processed,
  };
}

/** The ingest item of a message; one that cannot be read is kept as a refusal, never dropped. */
function toItem(m: JsMsg, clock: () => number): IngestItem {
  try {
    return decodeItem(m.data);
  } catch (err) {
    return {
      kind: 'rejected',
      rejected: {
        receivedAt: clock(),
        siteId: null,
        endpoint: 'log',
        eventType: null,
        eventId: null,
        reason: 'undecodable_log_message',
        detail: `stream sequence ${m.seq}: ${(err as Error).message}`.slice(0, 500),
        payload: new TextDecoder().decode(m.data).slice(0, 2048),
      },
    };
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
