/**
 * Money for people, computed exactly. The API sends amounts as strings of integer micros
 * (1,000,000 = one unit of the currency); they are parsed into BigInt and never touch a float, so
 * a charge of €7.512 shows as €7.512 and a total always equals the sum of its parts.
 *
 *     formatMoney('7512000', 'EUR')                 // "€7.51"
 *     formatMoney('1000000', 'JPY')                 // "¥1" (the currency's own digits)
 *     formatMoney('7512000', 'EUR', { exact: true }) // "€7.512"
 *     ratio(2728650000n, 266292000n, 2)             // "10.25"
 */

/** The dashboard's number format: its language is English (US) wherever it runs, like its words. */
const LOCALE = 'en-US';

const formats = new Map<string, Intl.NumberFormat>();
/** One cached `Intl.NumberFormat` per currency, number of decimals and sign display. */
function currencyFormat(currency: string, decimals: number, signed: boolean): Intl.NumberFormat {
  const k = `${currency}|${decimals}|${signed}`;
  let f = formats.get(k);
  if (!f) {
    f = new Intl.NumberFormat(LOCALE, { style: 'currency', currency, minimumFractionDigits: decimals, maximumFractionDigits: decimals, signDisplay: signed ? 'exceptZero' : 'auto' });
    formats.set(k, f);
  }
  return f;
}

/** The currency's own number of decimals (ISO 4217 minor unit, as Intl knows it): EUR 2, JPY 0, BHD 3; 2 for a code Intl does not know. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

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

/**
 * Formats micros with their currency, in the currency's own digits: "€1,234.56", "¥1", "-€0.50",
 * "SEK 1,234.56"; without a currency, just the number with two decimals. The amount is rounded
 * exactly in BigInt and handed to `Intl.NumberFormat` as a decimal string (which it formats without
 * going through a float), so it stays exact far beyond 2^53.
 */
export function formatMoney(v: MicrosInput, currency: string | null | undefined, o: MoneyFormatOptions = {}): string {
  const micros = toMicros(v);
  if (!currency) {
    const text = microsToDecimal(micros, o.exact ? 'exact' : 2);
    return o.signed && micros > 0n && !/^[0.,]*$/.test(text) ? `+${text}` : text;
  }
  const digits = Math.min(currencyDigits(currency), 6);
  let text = microsToDecimal(micros, digits).replace(/,/g, '');
  if (o.exact) {
    // Every significant micro, never fewer decimals than the currency's own.
    const all = microsToDecimal(micros, 6).replace(/,/g, '');
    const [whole, frac = ''] = all.split('.');
    const kept = frac.replace(/0+$/, '').padEnd(digits, '0');
    text = kept ? `${whole}.${kept}` : whole!;
  }
  const decimals = text.includes('.') ? text.split('.')[1]!.length : 0;
  let f: Intl.NumberFormat;
  try {
    f = currencyFormat(currency, decimals, !!o.signed);
  } catch {
    // A code Intl refuses (not three letters): the number and the code.
    return `${o.signed && micros > 0n ? '+' : ''}${microsToDecimal(micros, o.exact ? 'exact' : 2)} ${currency}`;
  }
  // A string argument is formatted as the exact decimal it spells (ECMA-402 Intl.NumberFormat v3).
  return f.format(text as unknown as number);
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
