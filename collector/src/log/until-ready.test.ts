import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../store/db';
import { untilReady } from './stream';

describe('untilReady (how log-mode processes wait for what they need at start)', () => {
  it('retries while PostgreSQL refuses the login, then goes on (a worker restarted during an outage)', async () => {
    let calls = 0;
    const retried: unknown[] = [];
    const out = await untilReady(
      async () => {
        if (++calls < 3) throw Object.assign(new Error('role "w" is not permitted to log in'), { code: '28000' });
        return 'migrated';
      },
      (err) => retried.push(err),
      10_000,
      isStoreUnavailable,
    );
    expect(out).toBe('migrated');
    expect(calls).toBe(3);
    expect(retried).toHaveLength(2);
  });

  it('stops at the first error that is not "cannot reach the database" (a failed migration is not waited out)', async () => {
    let calls = 0;
    const failing = untilReady(
      async () => {
        calls++;
        throw Object.assign(new Error('syntax error at or near "TABEL"'), { code: '42601' });
      },
      undefined,
      10_000,
      isStoreUnavailable,
    );
    await expect(failing).rejects.toThrow(/syntax error/);
    expect(calls).toBe(1);
  });

  it('by default refuses at once a stream made with another shard count', async () => {
    let calls = 0;
    await expect(untilReady(async () => (calls++, Promise.reject(new Error('stream was created with shards=8'))))).rejects.toThrow(/shards=8/);
    expect(calls).toBe(1);
  });
});
