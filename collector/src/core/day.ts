/** UTC calendar helpers for daily budgets and reports; times are epoch ms passed in. */
import { DAY_MS } from './terms';

/** The UTC day of `at` as "YYYY-MM-DD". Daily budgets reset at 00:00 UTC. */
export function utcDay(at: number): string {
  return new Date(Math.floor(at / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** Share of the UTC day elapsed at `at`, from 0 (midnight) to just under 1. */
export function dayShare(at: number): number {
  return (((at % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS;
}
