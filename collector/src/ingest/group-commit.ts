/**
 * Natural group commit (SPEC §3.1): while one transaction is being written, arriving items queue;
 * the next transaction takes all of them at once. No fixed timer and no write per request: after a
 * commit the committer yields once to the event loop (setImmediate), so every request whose bytes
 * arrived meanwhile is parsed and queued, then commits them together. Each submitter's promise
 * resolves only after the transaction holding its items committed — ack after commit.
 *
 * ```ts
 * const gc = createGroupCommitter({ commit: (items) => store.write((tx) => run(tx, items)), maxQueue: 5000 });
 * const results = await gc.submit([item1, item2]); // resolves after COMMIT
 * ```
 *
 * The queue is bounded: past `maxQueue` items `submit` throws OverloadedError (answered 503 with
 * Retry-After), so overload turns into back-pressure instead of unbounded memory.
 */

/** Thrown by submit when the queue is full. */
export class OverloadedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('overloaded: too many events waiting to be committed');
  }
}

/** Options of a group committer. */
export interface GroupCommitOptions<I, R> {
  /** Writes the items in one transaction and returns one result per item, in order. */
  commit: (items: I[]) => Promise<R[]>;
  /** Most items waiting at once. */
  maxQueue: number;
  /** Most items in one transaction (bounds its latency). */
  maxBatch?: number;
  /** Called after each commit with its size and duration (metrics). */
  onCommit?: (size: number, ms: number) => void;
  now?: () => number;
}

/** A running group committer. */
export interface GroupCommitter<I, R> {
  /** Queues items; resolves with their results after their transaction commits. */
  submit(items: I[]): Promise<R[]>;
  /** Items waiting or being written. */
  depth(): number;
  /** Resolves when everything queued so far has committed (clean shutdown). */
  drain(): Promise<void>;
}

interface Waiting<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** Creates a group committer. */
export function createGroupCommitter<I, R>(options: GroupCommitOptions<I, R>): GroupCommitter<I, R> {
  const maxBatch = options.maxBatch ?? 1000;
  const now = options.now ?? (() => performance.now());
  let queue: Waiting<I, R>[] = [];
  let inFlight = 0;
  let running = false;
  let idle: (() => void)[] = [];

  const loop = async () => {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
        queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
        inFlight = batch.length;
        const started = now();
        try {
          const results = await options.commit(batch.map((w) => w.item));
          options.onCommit?.(batch.length, now() - started);
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (err) {
          batch.forEach((w) => w.reject(err));
        }
        inFlight = 0;
        // Let the event loop read the requests that arrived during the commit, so they share the next one.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      running = false;
      const waiters = idle;
      idle = [];
      waiters.forEach((f) => f());
    }
  };

  return {
    submit(items) {
      if (queue.length + inFlight + items.length > options.maxQueue) {
        throw new OverloadedError(Math.min(30, 1 + Math.ceil((queue.length + inFlight) / Math.max(1, maxBatch))));
      }
      const promises = items.map((item) => new Promise<R>((resolve, reject) => queue.push({ item, resolve, reject })));
      if (!running) {
        running = true;
        setImmediate(() => void loop());
      }
      return Promise.all(promises);
    },
    depth: () => queue.length + inFlight,
    drain() {
      if (!running && queue.length === 0) return Promise.resolve();
      return new Promise<void>((r) => idle.push(r));
    },
  };
}
