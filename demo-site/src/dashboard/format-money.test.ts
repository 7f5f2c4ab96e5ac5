import { describe, expect, it } from 'vitest';
import { divideRounded, formatCount, formatMoney, microsToDecimal, percent, ratio, sumMicros, toMicros } from './format-money';

describe('formatMoney', () => {
  it.each([
    ['0', 'EUR', '€0.00'],
    ['1', 'EUR', '€0.00'],
    ['5000', 'EUR', '€0.01'], // half a cent rounds away from zero
    ['4999', 'EUR', '€0.00'],
    ['7512000', 'EUR', '€7.51'],
    ['7515000', 'EUR', '€7.52'],
    ['1234567890000', 'EUR', '€1,234,567.89'],
    ['-500000', 'EUR', '-€0.50'],
    ['-4000', 'EUR', '€0.00'], // rounds to zero: no "-€0.00"
    ['2000000', 'USD', '$2.00'],
    ['2000000', 'SEK', 'SEK\u00a02.00'], // no symbol of its own in English: the code
    // The currency's own digits (ISO 4217 minor unit): no "¥1.00" for one yen.
    ['1000000', 'JPY', '¥1'],
    ['1500000', 'JPY', '¥2'], // half a yen rounds away from zero
    ['1234567890000', 'JPY', '¥1,234,568'],
    ['-500000', 'JPY', '-¥1'],
    ['2000000', 'BHD', 'BHD\u00a02.000'],
    ['1234500', 'BHD', 'BHD\u00a01.235'],
    ['2000000', 'XX', '2.00 XX'], // not a code Intl takes: the number and what was given
  ])('shows %s micros of %s as %s', (micros, currency, want) => {
    expect(formatMoney(micros, currency)).toBe(want);
  });

  it.each([
    ['7512000', '€7.512'],
    ['4000', '€0.004'],
    ['1', '€0.000001'],
    ['2000000', '€2.00'],
    ['2500000', '€2.50'],
    ['-2629200', '-€2.6292'],
  ])('in exact mode shows %s micros as %s', (micros, want) => {
    expect(formatMoney(micros, 'EUR', { exact: true })).toBe(want);
  });

  it('in exact mode shows every significant micro, never fewer decimals than the currency has', () => {
    expect(formatMoney('1000000', 'JPY', { exact: true })).toBe('¥1');
    expect(formatMoney('1500000', 'JPY', { exact: true })).toBe('¥1.5');
    expect(formatMoney('84712800', 'EUR', { exact: true })).toBe('€84.7128');
    expect(formatMoney('2000000', 'BHD', { exact: true })).toBe('BHD\u00a02.000');
  });

  it('keeps amounts far beyond 2^53 exact', () => {
    expect(formatMoney('9007199254740993000001', 'EUR', { exact: true })).toBe('€9,007,199,254,740,993.000001');
  });

  it('marks positive movements with + when signed', () => {
    expect(formatMoney('1500000', 'EUR', { signed: true })).toBe('+€1.50');
    expect(formatMoney('-1500000', 'EUR', { signed: true })).toBe('-€1.50');
    expect(formatMoney('0', 'EUR', { signed: true })).toBe('€0.00');
    expect(formatMoney('1000000', 'JPY', { signed: true })).toBe('+¥1');
    expect(formatMoney('1500000', null, { signed: true })).toBe('+1.50');
  });

  it('shows a bare number without a currency', () => {
    expect(formatMoney('1234500000', null)).toBe('1,234.50');
  });

  it('refuses what is not an integer string of micros instead of showing 0', () => {
    expect(() => formatMoney('1.5', 'EUR')).toThrow(/not an amount/);
    expect(() => toMicros('')).toThrow();
    expect(() => toMicros('1e6')).toThrow();
  });
});

describe('exact arithmetic', () => {
  it('sums micros without drift', () => {
    expect(sumMicros(['100000', '200000', '300000'])).toBe(600000n);
    expect(sumMicros(Array.from({ length: 10 }, () => '100000'))).toBe(1000000n);
  });

  it.each([
    [10n, 4n, 3n], // 2.5 → 3
    [10n, 3n, 3n],
    [-10n, 4n, -3n],
    [266292000n, 24n, 11095500n],
    [1n, 0n, null],
  ])('divides %s by %s rounding half away from zero to %s', (a, b, want) => {
    expect(divideRounded(a, b)).toBe(want);
  });

  it('gives ratios as decimal strings', () => {
    expect(ratio(2728650000n, 266292000n, 2)).toBe('10.25');
    expect(ratio(1n, 3n, 3)).toBe('0.333');
    expect(ratio(2n, 3n, 0)).toBe('1');
    expect(ratio(5n, 0n)).toBeNull();
  });

  it('gives percentages of counts, and a dash when the base is zero', () => {
    expect(percent(196, 7924)).toBe('2.47 %');
    expect(percent(1, 3, 1)).toBe('33.3 %');
    expect(percent(0, 0)).toBe('–');
  });

  it('rounds micros to a number of places', () => {
    expect(microsToDecimal(1234567n, 2)).toBe('1.23');
    expect(microsToDecimal(1235000n, 2)).toBe('1.24');
    expect(microsToDecimal(999999n, 0)).toBe('1');
    expect(microsToDecimal(1234567n, 'exact')).toBe('1.234567');
  });

  it('groups counts by thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(7924)).toBe('7,924');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1234)).toBe('-1,234');
  });
});
