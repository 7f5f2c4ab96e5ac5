/**
 * Prometheus metrics (prom-client: the standard Node client, exposition format and registry for
 * free). One registry per app, so tests and several apps in one process do not share counters.
 *
 * | metric                               | labels  | meaning                                       |
 * |--------------------------------------|---------|-----------------------------------------------|
 * | pp_events_received_total             | type    | events that reached validation                |
 * | pp_events_accepted_total             | type    | stored as new                                 |
 * | pp_events_rejected_total             | reason  | refused (kept in rejected_events)             |
 * | pp_events_deduplicated_total         | type    | exact replays answered from the stored result |
 * | pp_events_conflict_total             | type    | same key, other payload (409)                 |
 * | pp_events_invalid_total              | reason  | stored but flagged invalid traffic            |
 * | pp_billed_micros_total               | currency| money charged to advertisers (charges, restatements up, approvals) |
 * | pp_credited_micros_total             | currency| money given back (reversals, restatements down, invalidations) |
 * | pp_group_commit_size / _seconds      |         | items and time per transaction                |
 * | pp_queue_depth                       |         | items waiting to be committed                 |
 * | pp_overload_total                    | endpoint| requests answered 503/429                     |
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The collector's metrics. */
export interface Metrics {
  registry: Registry;
  received: Counter<'type'>;
  accepted: Counter<'type'>;
  rejected: Counter<'reason'>;
  deduplicated: Counter<'type'>;
  conflicts: Counter<'type'>;
  invalid: Counter<'reason'>;
  billed: Counter<'currency'>;
  credited: Counter<'currency'>;
  commitSize: Histogram;
  commitSeconds: Histogram;
  queueDepth: Gauge;
  overload: Counter<'endpoint'>;
}

/** Creates a registry with the collector's metrics. */
export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    received: counter('pp_events_received_total', 'Events that reached validation', ['type']),
    accepted: counter('pp_events_accepted_total', 'Events stored as new', ['type']),
    rejected: counter('pp_events_rejected_total', 'Events refused, by reason (kept in rejected_events)', ['reason']),
    deduplicated: counter('pp_events_deduplicated_total', 'Exact replays answered from the stored result', ['type']),
    conflicts: counter('pp_events_conflict_total', 'Same idempotency key with another payload (409)', ['type']),
    invalid: counter('pp_events_invalid_total', 'Events stored but flagged as invalid traffic, by reason', ['reason']),
    billed: counter('pp_billed_micros_total', 'Micros charged to advertisers', ['currency']),
    credited: counter('pp_credited_micros_total', 'Micros given back to advertisers (reversals, downward restatements, invalidations)', ['currency']),
    commitSize: new Histogram({ name: 'pp_group_commit_size', help: 'Items per group commit', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: [registry] }),
    commitSeconds: new Histogram({ name: 'pp_group_commit_seconds', help: 'Seconds per group commit', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    queueDepth: new Gauge({ name: 'pp_queue_depth', help: 'Items waiting to be committed', registers: [registry] }),
    overload: counter('pp_overload_total', 'Requests answered 503 or 429 under load', ['endpoint']),
  };
}
