/**
 * The collector's committer in log mode: the same interface as the group committer
 * (`submit(items) → results`, `depth()`, `drain()`), so the HTTP ingest code is unchanged, but each
 * item is published to the JetStream stream on its advertiser's shard and its promise resolves when
 * the log acknowledges the write (a majority of replicas hold it). What the event is worth is
 * decided later by the shard's billing worker, so a beacon's result is `accepted` with reason
 * `queued` (or `duplicate` when the log already had its message ID).
 *
 * ```ts
 * const committer = createLogCommitter({ js, settings, keys, direct });
 * await committer.submit([item]);   // resolves after the PubAck; throws OverloadedError → 503
 * ```
 *
 * | item kind        | goes to                                 | answer once stored                      |
 * |------------------|-----------------------------------------|-----------------------------------------|
 * | beacon           | the log, message ID = event key + payload hash | `accepted`/`queued`, or `duplicate`  |
 * | redirect_click   | the log, message ID = the click ID      | `accepted` with the click ID (302 at once) |
 * | rejected         | the log (the worker keeps it in rejected_events) | `rejected` with its reason       |
 * | s2s (signed)     | the direct group committer → PostgreSQL | its real outcome (201/409 need it)      |
 *
 * Back-pressure: more than `maxInFlight` unacknowledged publishes, a publish that is not
 * acknowledged within `publishTimeoutMs`, or a full stream (discard new) throw OverloadedError,
 * which the routes answer 503 with Retry-After, exactly as a full commit queue.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { OverloadedError, type GroupCommitter } from '../ingest/group-commit';
import type { IngestItem, ItemResult } from '../ingest/items';
import type { Keys } from '../ingest/keys';
import { encodeItem, eventKeyOf } from './codec';
import type { LogSettings } from './log-settings';
import { shardKeyOf, shardOf } from './shard';
import { subjectOf } from './stream';

/** What a log committer is built from. */
export interface LogCommitterOptions {
  js: Pick<JetStreamClient, 'publish'>;
  settings: Pick<LogSettings, 'stream' | 'shards' | 'publishTimeoutMs' | 'maxInFlight'>;
  keys: Keys;
  /** The direct committer for what stays on PostgreSQL (signed S2S conversions). */
  direct: GroupCommitter<IngestItem, ItemResult>;
}

/** Creates the log committer. */
export function createLogCommitter(o: LogCommitterOptions): GroupCommitter<IngestItem, ItemResult> {
  let inFlight = 0;
  let idle: (() => void)[] = [];
  const settled = () => {
    if (inFlight > 0) return;
    const waiters = idle;
    idle = [];
    waiters.forEach((f) => f());
  };

  const publish = async (item: IngestItem): Promise<ItemResult> => {
    const subject = subjectOf(o.settings, shardOf(shardKeyOf(item, o.keys), o.settings.shards));
    const msgID = eventKeyOf(item);
    let ack;
    try {
      ack = await o.js.publish(subject, encodeItem(item), { timeout: o.settings.publishTimeoutMs, ...(msgID ? { msgID } : {}) });
    } catch (err) {
      // Slow (no acknowledgement in time: a leader election, a lagging replica) or full (discard
      // new): either way nothing was acknowledged, and the client must retry later.
      throw new OverloadedError(retryAfter(err));
    }
    switch (item.kind) {
      case 'beacon':
        return { i: item.event.i, status: ack.duplicate ? 'duplicate' : 'accepted', reason: 'queued' };
      case 'redirect_click':
        return { i: item.clickId, status: 'accepted', clickId: item.clickId, reason: 'queued' };
      case 'rejected':
        return { i: item.rejected.eventId ?? '', status: 'rejected', reason: item.rejected.reason };
      case 's2s':
        throw new Error('unreachable: signed conversions go to the direct committer');
    }
  };

  return {
    submit(items) {
      const direct = items.filter((i) => i.kind === 's2s');
      if (direct.length > 0) {
        // Signed S2S conversions stay direct (their 201/409 answers need the outcome). A request never mixes kinds.
        if (direct.length !== items.length) throw new Error('a submit mixes signed conversions with logged events');
        return o.direct.submit(items);
      }
      if (inFlight + items.length > o.settings.maxInFlight) throw new OverloadedError(1);
      inFlight += items.length;
      return Promise.all(
        items.map((item) =>
          publish(item).finally(() => {
            inFlight--;
            settled();
          }),
        ),
      );
    },
    depth: () => inFlight + o.direct.depth(),
    async drain() {
      if (inFlight > 0) await new Promise<void>((r) => idle.push(r));
      await o.direct.drain();
    },
  };
}

/** Seconds to wait before retrying: longer while the stream is full than after a slow acknowledgement. */
function retryAfter(err: unknown): number {
  const text = String((err as Error)?.message ?? err);
  return /maximum|exceeded|insufficient|storage/i.test(text) ? 30 : 2;
}
