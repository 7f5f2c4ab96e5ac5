import { afterEach, describe, expect, it, vi } from 'vitest';
import { isFinal, retryDelay } from './outbox';

describe('isFinal', () => {
  it.each([200, 202, 204, 299])('ends an event on %i (accepted)', (status) => expect(isFinal(status)).toBe(true));
  it.each([400, 401, 403, 409, 410, 413, 415, 422])('ends an event on %i (retrying cannot help)', (status) =>
    expect(isFinal(status)).toBe(true),
  );
  it.each([0, 301, 404, 408, 411, 414, 421, 423, 429, 500, 502, 503, 504])('retries an event on %i', (status) =>
    expect(isFinal(status)).toBe(false),
  );
});

describe('retryDelay', () => {
  afterEach(() => vi.restoreAllMocks());

  it('grows exponentially from 1–2 s, with half of it random', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([1, 2, 3, 4].map((n) => retryDelay(n))).toEqual([1000, 2000, 4000, 8000]);
    vi.spyOn(Math, 'random').mockReturnValue(0.9995);
    expect(retryDelay(1)).toBe(1999);
  });

  it('is a whole number of milliseconds, as setTimeout counts them', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.123456789);
    expect([1, 2, 3, 11].map((n) => Number.isInteger(retryDelay(n)))).toEqual([true, true, true, true]);
  });

  it('never waits more than 30 minutes, whatever the number of failures', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(retryDelay(11)).toBeLessThanOrEqual(30 * 60_000);
    expect(retryDelay(60)).toBeLessThanOrEqual(30 * 60_000);
    expect(retryDelay(60)).toBeGreaterThan(15 * 60_000);
  });

  it('waits for a Retry-After given in seconds when it is longer than the backoff', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(retryDelay(1, '120')).toBe(120_000);
    expect(retryDelay(5, '1')).toBe(16_000);
  });

  it('ignores a Retry-After it cannot read', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(retryDelay(1, 'soon')).toBe(1000);
    expect(retryDelay(1, null)).toBe(1000);
  });
});
