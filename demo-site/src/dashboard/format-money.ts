/**
 * Money for people, computed exactly. The API sends amounts as strings of integer micros
 * (1,000,000 = one unit of the currency); they are parsed into BigInt and never touch a float, so
 * a charge of €7.512 shows as €7.512 and a total always equals the sum of its parts.
 *
 *     formatMoney('7512000', 'EUR')                 // "€7.51"
 *     formatMoney('7512000', 'EUR', { exact: true }) // "€7.512"
 *     ratio(2728650000n, 266292000n, 2)             // "10.25"
 */

const SYMBOLS: Record<string, string> = { EUR: '€', USD: '$', GBP: '£', JPY: '¥', INR: '₹' };

/** Micros as the API sends them (a string of digits, maybe negative) or as a BigInt. */
export type MicrosInput = string | bigint;

/** Parses a string of integer micros; throws on anything else, so a malformed amount is never shown as 0. */
export function toMicros(v: MicrosInput): bigint {
  if (typeof v === 'bigint') return v;
  if (!/^-?\d{1,30}$/.test(v)) throw new Error(`not an amount in micros: ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** Options of `formatMoney`. */
export interface MoneyFormatOptions {
  /** Show every significant micro (2 to 6 decimals) instead of rounding to cents. */
  exact?: boolean;
  /** Prefix positive amounts with "+" (ledger movements). */
  signed?: boolean;
}

/** Groups the digits of a non-negative integer string by thousands: "1234567" → "1,234,567". */
export function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A decimal string of micros: rounded half away from zero to `places` decimals, or exact (2–6 decimals). */
export function microsToDecimal(micros: bigint, places: number | 'exact' = 2): string {
  const neg = micros < 0n;
  let abs = neg ? -micros : micros;
  let decimals = 6;
  if (places !== 'exact') {
    const unit = 10n ** BigInt(6 - places);
    abs = (abs + unit / 2n) / unit;
    decimals = places;
  }
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  let frac = decimals > 0 ? (abs % scale).toString().padStart(decimals, '0') : '';
  if (places === 'exact') frac = frac.replace(/0{1,4}$/, '');
  const zero = whole === 0n && /^0*$/.test(frac);
  return `${neg && !zero ? '-' : ''}${groupDigits(whole.toString())}${frac ? `.${frac}` : ''}`;
}

/** Formats micros with their currency: "€1,234.56", "-€0.50", "1,234.56 SEK"; without a currency, just the number. */
export function formatMoney(v: MicrosInput, currency: string | null | undefined, o: MoneyFormatOptions = {}): string {
  const micros = toMicros(v);
  const text = microsToDecimal(micros, o.exact ? 'exact' : 2);
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  const sign = neg ? '-' : o.signed && micros > 0n ? '+' : '';
  if (!currency) return sign + digits;
  const symbol = SYMBOLS[currency];
  return symbol ? `${sign}${symbol}${digits}` : `${sign}${digits} ${currency}`;
}

/** Sums amounts of micros exactly. */
export function sumMicros(values: Iterable<MicrosInput>): bigint {
  let total = 0n;
  for (const v of values) total += toMicros(v);
  return total;
}

/** `a / b` rounded half away from zero to a whole number (e.g. cost per conversion in micros); null when b is 0. */
export function divideRounded(a: bigint, b: bigint): bigint | null {
  if (b === 0n) return null;
  const neg = a < 0n !== b < 0n;
  const x = a < 0n ? -a : a;
  const y = b < 0n ? -b : b;
  const q = (2n * x + y) / (2n * y);
  return neg ? -q : q;
}

/** `a / b` as a decimal string with `places` decimals, rounded half away from zero; null when b is 0. */
export function ratio(a: bigint, b: bigint, places = 2): string | null {
  const scale = 10n ** BigInt(places);
  const q = divideRounded(a * scale, b);
  if (q === null) return null;
  const neg = q < 0n;
  const abs = neg ? -q : q;
  const whole = groupDigits((abs / scale).toString());
  const frac = places > 0 ? `.${(abs % scale).toString().padStart(places, '0')}` : '';
  return `${neg ? '-' : ''}${whole}${frac}`;
}

/** `part / whole` as a percentage string ("2.47 %"), or "–" when there is nothing to divide by. */
export function percent(part: number | bigint, whole: number | bigint, places = 2): string {
  const r = ratio(BigInt(part) * 100n, BigInt(whole), places);
  return r === null ? '–' : `${r} %`;
}

/** A count with thousands separators. */
export function formatCount(n: number | bigint): string {
  const s = BigInt(n).toString();
  return s.startsWith('-') ? `-${groupDigits(s.slice(1))}` : groupDigits(s);
}

/** Micros as a plain number of currency units, for chart positions only (never for a figure a person reads). */
export function microsToChartNumber(v: MicrosInput): number {
  const m = toMicros(v);
  return Number(m / 10_000n) / 100;
}
