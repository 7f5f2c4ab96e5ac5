/**
 * Runs work in a write transaction and rolls it back, answering what it returned: a dry run with
 * the very code that would write (issue 14: a command's confirmation, a bulk file's preview, the
 * postback console's test). Nothing is kept — no row, no entry group, no chain link.
 *
 *     const preview = await rolledBack(store, (tx) => commandConversion(tx, id, 'reverse', opts));
 */
import type { Store, WriteTx } from './store';

class RollBack<T> extends Error {
  constructor(readonly value: T) {
    super('rolled back on purpose');
  }
}

/** Runs `fn` in one write transaction, rolls it back and answers `fn`'s result. */
export async function rolledBack<T>(store: Store, fn: (tx: WriteTx) => Promise<T>): Promise<T> {
  try {
    await store.write(async (tx) => {
      throw new RollBack(await fn(tx));
    });
  } catch (err) {
    if (err instanceof RollBack) return err.value as T;
    throw err;
  }
  throw new Error('unreachable: the transaction always rolls back');
}
