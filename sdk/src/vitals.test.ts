import { describe, expect, it, vi } from 'vitest';

const handlers: Record<string, (m: { name: string; value: number }) => void> = {};
vi.mock('web-vitals', () => ({
  onLCP: (f: never) => (handlers.LCP = f),
  onINP: (f: never) => (handlers.INP = f),
  onCLS: (f: never) => (handlers.CLS = f),
}));

describe('the web-vitals add-on', () => {
  it('reports LCP, INP and CLS to the tag as vitals', async () => {
    const pp = vi.fn();
    (window as unknown as { pp: unknown }).pp = pp;
    await import('./vitals');
    handlers.LCP!({ name: 'LCP', value: 1234.5 });
    handlers.INP!({ name: 'INP', value: 88 });
    handlers.CLS!({ name: 'CLS', value: 0.01 });
    expect(pp.mock.calls).toEqual([
      ['vital', 'LCP', 1234.5],
      ['vital', 'INP', 88],
      ['vital', 'CLS', 0.01],
    ]);
  });
});
