/**
 * Natural group commit (SPEC §3.1): items that arrive while a transaction is being written share
 * the next one, and every submitter is answered only after the transaction holding its items
 * committed. First the committer on its own, then through `app.request()` with a store whose
 * commit the test holds open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGroupCommitter, OverloadedError } from './group-commit';
import { openStore } from '../store/open-store';
import { createHarness, createTestClock, eventId, gateStore, metric, scrape, seedWorld, until, type Harness } from '../test-fixtures';

/** A commit function the test controls: records each batch and resolves when told. */
function controlledCommit() {
  const batches: number[][] = [];
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  return {
    batches,
    pending,
    commit: (items: number[]) =>
      new Promise<number[]>((resolve, reject) => {
        batches.push(items);
        pending.push({ resolve: () => resolve(items.map((i) => i * 10)), reject });
      }),
  };
}

const settled = (p: Promise<unknown>) => {
  const s = { done: false };
  p.then(
    () => (s.done = true),
    () => (s.done = true),
  );
  return s;
};

describe('createGroupCommitter', () => {
  it('puts everything that arrives during a commit into the next transaction, and answers each submitter with its own results', async () => {
    const c = controlledCommit();
    const gc = createGroupCommitter<number, number>({ commit: c.commit, maxQueue: 100 });
    const first = gc.submit([1]);
    await until(() => c.batches.length === 1, 'the first commit');
    const later = [gc.submit([2, 3]), gc.submit([4]), gc.submit([5, 6, 7])];
    expect(gc.depth()).toBe(7);
    c.pending[0]!.resolve();
    expect(await first).toEqual([10]);
    await until(() => c.batches.length === 2, 'the second commit');
    expect(c.batches[1]).toEqual([2, 3, 4, 5, 6, 7]);
    c.pending[1]!.resolve();
    expect(await Promise.all(later)).toEqual([[20, 30], [40], [50, 60, 70]]);
    expect(gc.depth()).toBe(0);
  });

  it('answers nobody before their transaction commits', async () => {
    const c = controlledCommit();
    const gc = createGroupCommitter<number, number>({ commit: c.commit, maxQueue: 100 });
    const s = settled(gc.submit([1]));
    await until(() => c.batches.length === 1, 'the commit');
    for (let k = 0; k < 50; k++) await new Promise((r) => setImmediate(r));
    expect(s.done).toBe(false);
    c.pending[0]!.resolve();
    await until(() => s.done, 'the answer');
  });

  it('refuses items past maxQueue with OverloadedError and a Retry-After, counting the batch in flight', async () => {
    const c = controlledCommit();
    const gc = createGroupCommitter<number, number>({ commit: c.commit, maxQueue: 3 });
    const a = gc.submit([1, 2]);
    await until(() => c.batches.length === 1, 'the commit');
    const b = gc.submit([3]);
    let err: unknown;
    try {
      gc.submit([4]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OverloadedError);
    expect((err as OverloadedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    c.pending[0]!.resolve();
    await a;
    await until(() => c.batches.length === 2, 'the second commit');
    c.pending[1]!.resolve();
    expect(await b).toEqual([30]);
  });

  it('rejects every submitter of a failed transaction, and commits the next one normally', async () => {
    const c = controlledCommit();
    const gc = createGroupCommitter<number, number>({ commit: c.commit, maxQueue: 100 });
    const a = gc.submit([1]);
    const b = gc.submit([2]);
    await until(() => c.batches.length === 1, 'the commit');
    expect(c.batches[0]).toEqual([1, 2]);
    c.pending[0]!.reject(new Error('SQLITE_FULL'));
    await expect(a).rejects.toThrow('SQLITE_FULL');
    await expect(b).rejects.toThrow('SQLITE_FULL');
    const next = gc.submit([3]);
    await until(() => c.batches.length === 2, 'the next commit');
    c.pending[1]!.resolve();
    expect(await next).toEqual([30]);
  });

  it('caps a transaction at maxBatch items', async () => {
    const c = controlledCommit();
    const gc = createGroupCommitter<number, number>({ commit: c.commit, maxQueue: 100, maxBatch: 2 });
    const all = gc.submit([1, 2, 3, 4, 5]);
    for (let k = 1; k <= 3; k++) {
      await until(() => c.batches.length === k, `commit ${k}`);
      c.pending[k - 1]!.resolve();
    }
    expect(c.batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(await all).toEqual([10, 20, 30, 40, 50]);
  });

  it('drains: resolves once everything queued so far has committed', async () => {
    const c = controlledCommit();
    const gc = createGroupCommitter<number, number>({ commit: c.commit, maxQueue: 100 });
    await gc.drain(); // idle: at once
    void gc.submit([1]);
    const drained = settled(gc.drain());
    await until(() => c.batches.length === 1, 'the commit');
    expect(drained.done).toBe(false);
    c.pending[0]!.resolve();
    await until(() => drained.done, 'the drain');
  });
});

describe('group commit through the app', () => {
  let h: Harness;
  let dir: string | null = null;
  afterEach(async () => {
    await h.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  const pv = (k: number) => ({ t: 'pv', i: eventId(`gc-${k}`), ts: 1 });

  it('answers a beacon only after its transaction committed, and what it acknowledged is visible to another connection', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pp-gc-'));
    const clock = createTestClock();
    const gated = gateStore(await openStore(join(dir, 'pp.db'), { clock }));
    h = await createHarness({ store: gated.store, clock });
    const w = await seedWorld(h);
    gated.hold();
    const answer = h.beacon(w.shopSiteId, [pv(1)]);
    const s = settled(answer);
    await until(() => gated.waiting === 1, 'the transaction to reach COMMIT');
    for (let k = 0; k < 50; k++) await new Promise((r) => setImmediate(r));
    expect(s.done).toBe(false);
    // Written inside the open transaction, but not committed: the reader does not see it.
    expect((await h.store.reports.counts()).page_views).toBe(0);
    gated.release();
    expect((await answer).status).toBe(202);
    expect((await h.store.reports.counts()).page_views).toBe(1);
  });

  it('lets requests that arrive during a commit share the next transaction', async () => {
    const clock = createTestClock();
    const gated = gateStore(await openStore(':memory:', { clock }));
    h = await createHarness({ store: gated.store, clock, rate: { rate: 1000, burst: 1000 } });
    const w = await seedWorld(h);
    const writesBefore = gated.writes;
    const sizeBefore = metric(await scrape(h), 'pp_group_commit_size_sum');
    gated.hold();
    const first = h.beacon(w.shopSiteId, [pv(0)]);
    await until(() => gated.waiting === 1, 'the first transaction');
    const rest = Array.from({ length: 20 }, (_, k) => h.beacon(w.shopSiteId, [pv(k + 1), pv(k + 101)], { 'x-test-peer': `192.0.2.${k + 1}` }));
    await until(() => h.collector.committer.depth() === 41, 'all 20 requests to queue');
    gated.release();
    const answers = await Promise.all([first, ...rest]);
    expect(answers.map((r) => r.status)).toEqual(Array(21).fill(202));
    // One transaction for the first request, one for the other twenty.
    expect(gated.writes - writesBefore).toBe(2);
    const m = await scrape(h);
    expect(metric(m, 'pp_group_commit_size_sum') - sizeBefore).toBe(41);
    expect(metric(m, 'pp_group_commit_size_bucket', { le: '20' })).toBe(metric(m, 'pp_group_commit_size_bucket', { le: '50' }) - 1);
    expect((await h.store.reports.counts()).page_views).toBe(41);
  });

  it('keeps one bad item from failing the others in its transaction', async () => {
    const clock = createTestClock();
    const inner = await openStore(':memory:', { clock });
    // A store whose page-view insert fails for one event ID: a bug or a bad row.
    const store = {
      ...inner,
      write: <T>(fn: (tx: Parameters<Parameters<typeof inner.write>[0]>[0]) => Promise<T>) =>
        inner.write((tx) =>
          fn({
            ...tx,
            savepoint: tx.savepoint,
            insertPageView: (p) => (p.eventId === eventId('gc-2') ? Promise.reject(new Error('constraint failed')) : tx.insertPageView(p)),
          }),
        ),
    };
    h = await createHarness({ store, clock });
    const w = await seedWorld(h);
    const res = await h.beacon(w.shopSiteId, [pv(1), pv(2), pv(3)]);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 2, rejected: [{ i: eventId('gc-2'), reason: 'internal_error' }] });
    expect((await h.store.reports.counts()).page_views).toBe(2);
    const kept = await h.store.reports.rejected({}, { from: 0, to: Number.MAX_SAFE_INTEGER }, 10);
    expect(kept).toMatchObject([{ reason: 'internal_error', detail: 'constraint failed', eventId: eventId('gc-2') }]);
  });
});
