import { describe, expect, it } from 'vitest';
import { createEventId } from './event-id';

describe('createEventId', () => {
  it('is the time it was made, then the random tail of a UUID v4, within what the collector accepts', () => {
    const id = createEventId(() => 1796600000123);
    expect(id).toMatch(/^1796600000123[0-9a-f]{3}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The longest test-mode prefix (test-mode.ts: a code of 24, then `_`) still fits the collector's
    // 64: test/contract/events.test.ts sends one.
    expect(id).toHaveLength(39);
  });

  it('sorts by the time it was made, whatever its random part', () => {
    let t = 1796600000000;
    const ids = Array.from({ length: 500 }, () => createEventId(() => (t += 1)));
    expect([...ids].sort()).toEqual(ids);
  });

  it('never repeats itself over many calls in the same millisecond', () => {
    expect(new Set(Array.from({ length: 2000 }, () => createEventId(() => 1796600000000))).size).toBe(2000);
  });
});
