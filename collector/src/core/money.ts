/**
 * Money: integer micros (1,000,000 micros = 1 unit of an ISO-4217 currency), never floats.
 *
 * Rules (SPEC §3.4):
 * | input                         | result                                   |
 * |-------------------------------|------------------------------------------|
 * | "49.90", "49.9", "0.000001"   | exact micros (49_900_000n, …, 1n)        |
 * | more than 6 decimal places    | refused: it cannot be held exactly       |
 * | a JS number                   | finite and ≤ 2^53 only, then as its decimal string |
 * | "1e3", " 1", "1,5", "-0"…     | refused: one plain decimal notation only |
 * | above MAX_MONEY_MICROS        | refused                                  |
 */

/** Integer money amount in micros. bigint so sums can pass 2^53 without drifting. */
export type Micros = bigint;

/** 1,000,000 micros = 1 currency unit. */
export const MICROS_PER_UNIT = 1_000_000n;

/** The largest amount we take in one field: 10^12 units, far below int64's 9.2 × 10^18 micros. */
export const MAX_MONEY_MICROS = 1_000_000_000_000n * MICROS_PER_UNIT;

/**
 * Value bounds (README "Value bounds"). Every stored amount stays far enough below int64 that no
 * column can overflow, and every SQL sum is taken in two parts (see store/sum-micros.ts), so no
 * report can overflow whatever a tenant sends.
 *
 * | amount                                         | at most                       |
 * |------------------------------------------------|-------------------------------|
 * | a conversion value (beacon, postback, restate) | 10^10 units (10^16 micros)    |
 * | a price: CPC, CPM, CPA flat, fixed payout      | 10^9 units (10^15 micros)     |
 * | a budget or cap                                | 10^12 units (10^18 micros)    |
 * | a campaign's lifetime spend                    | its total budget, or 10^12 units when it has none |
 */
export const MAX_CONVERSION_VALUE_MICROS = 10_000_000_000n * MICROS_PER_UNIT;
/** The largest price a campaign may set for one action (see the bounds table above). */
export const MAX_PRICE_MICROS = 1_000_000_000n * MICROS_PER_UNIT;
/** The largest budget or cap (see the bounds table above). */
export const MAX_BUDGET_MICROS = MAX_MONEY_MICROS;
/** The implicit total cap of a campaign without a total budget: its spend row cannot overflow. */
export const MAX_CAMPAIGN_SPEND_MICROS = MAX_MONEY_MICROS;

/** Parses a conversion value (decimal units, or micros when `micros` is set) within its bound. */
export function parseConversionValue(input: string | number, micros = false): MoneyParse {
  const r = micros && typeof input === 'string' ? parseMicrosString(input) : parseDecimalMicros(input);
  if (r.ok && r.micros > MAX_CONVERSION_VALUE_MICROS) {
    return { ok: false, reason: `value above the maximum of ${formatMicros(MAX_CONVERSION_VALUE_MICROS)} per conversion` };
  }
  return r;
}

const DECIMAL = /^(-?)(0|[1-9]\d{0,12})(?:\.(\d{1,6}))?$/;
const INTEGER = /^(-?)(0|[1-9]\d{0,18})$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Result of a money parse: the amount, or why it was refused. */
export type MoneyParse = { ok: true; micros: Micros } | { ok: false; reason: string };

/** Parses a decimal amount in currency units ("49.90") or a safe JS number into exact micros. */
export function parseDecimalMicros(input: string | number, allowNegative = false): MoneyParse {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, reason: 'amount must be finite' };
    if (Math.abs(input) > Number.MAX_SAFE_INTEGER) return { ok: false, reason: 'amount above 2^53' };
    // String() gives the shortest decimal that round-trips, so 49.9 becomes "49.9", not 49.8999….
    text = String(input);
  } else {
    text = input;
  }
  const m = DECIMAL.exec(text);
  if (!m) return { ok: false, reason: 'amount must be a plain decimal with at most 6 decimal places' };
  const [, sign, whole, frac = ''] = m;
  const micros = BigInt(whole!) * MICROS_PER_UNIT + BigInt(frac.padEnd(6, '0'));
  // "-0" and "-0.00" are a second spelling of zero; bigint has no -0, so refuse it here or it slips
  // past the negative check as 0 (rules row 4).
  if (sign === '-' && micros === 0n) return { ok: false, reason: 'amount must be a plain decimal with at most 6 decimal places' };
  return finish(sign === '-' ? -micros : micros, allowNegative);
}

/** Parses an integer string of micros ("49900000") exactly. */
export function parseMicrosString(input: string, allowNegative = false): MoneyParse {
  const m = INTEGER.exec(input);
  if (!m || (m[1] === '-' && m[2] === '0')) return { ok: false, reason: 'micros must be an integer string' };
  return finish(BigInt(input), allowNegative);
}

function finish(micros: Micros, allowNegative: boolean): MoneyParse {
  if (micros < 0n && !allowNegative) return { ok: false, reason: 'amount must not be negative' };
  if (micros > MAX_MONEY_MICROS || micros < -MAX_MONEY_MICROS) return { ok: false, reason: 'amount too large' };
  return { ok: true, micros };
}

/** Formats micros as a decimal string in units, trimming trailing zeros to at least 2 places. */
export function formatMicros(micros: Micros): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const whole = abs / MICROS_PER_UNIT;
  let frac = (abs % MICROS_PER_UNIT).toString().padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** True for a syntactically valid ISO-4217 alphabetic code ("EUR"). */
export function isCurrencyCode(code: string): boolean {
  return CURRENCY.test(code);
}

/** `amount × bps / 10,000`, rounded down (toward zero for positive amounts). */
export function applyBps(amount: Micros, bps: number): Micros {
  return (amount * BigInt(bps)) / 10_000n;
}

/** Sum of micros. */
export function sumMicros(values: Iterable<Micros>): Micros {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}
