import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonOfParsed } from './canonical';

// Follows the rules table at the top of canonical.ts, row by row.

describe('canonicalJson', () => {
  it('sorts object keys and leaves out undefined members, at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: true }], c: undefined } })).toBe('{"a":{"d":[1,{"y":true,"z":null}]},"b":1}');
  });

  it('sorts keys by UTF-16 code units, not by locale', () => {
    expect(canonicalJson({ b: 0, B: 0, ä: 0, a: 0 })).toBe('{"B":0,"a":0,"b":0,"ä":0}');
  });

  it('writes bigint money as a decimal string, past 2^53 exactly', () => {
    expect(canonicalJson({ micros: 9_007_199_254_740_993n, neg: -5n })).toBe('{"micros":"9007199254740993","neg":"-5"}');
  });

  it('writes safe integers and refuses fractions and unsafe numbers', () => {
    expect(canonicalJson([0, -1, 1_764_400_000_000])).toBe('[0,-1,1764400000000]');
    expect(() => canonicalJson(0.1)).toThrow(RangeError);
    expect(() => canonicalJson(2 ** 53)).toThrow(RangeError);
    expect(() => canonicalJson(Number.NaN)).toThrow(RangeError);
  });

  it('writes strings as JSON does, and the same value always to the same text', () => {
    const v = { s: 'a "quoted"\n\u0000 ✓', t: false };
    expect(canonicalJson(v)).toBe('{"s":"a \\"quoted\\"\\n\\u0000 ✓","t":false}');
    expect(canonicalJson(JSON.parse(JSON.stringify(v)))).toBe(canonicalJson(v));
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson(Symbol('x'))).toThrow(TypeError);
  });
});

describe('canonicalJsonOfParsed', () => {
  it('gives exactly canonicalJson’s text for any JSON value parsed back, in canonical order or not', () => {
    // Keys that JavaScript enumerates out of code-unit order ("10" before "9" sorts, but "9" enumerates first) included.
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('9', '10', '2', 'a', 'B', 'ä', '__proto__'));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.maxSafeInteger(), fc.string(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        for (const text of [JSON.stringify(v), canonicalJson(v)]) {
          const parsed: unknown = JSON.parse(text);
          expect(canonicalJsonOfParsed(parsed)).toBe(canonicalJson(parsed));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a fraction or an unsafe number as canonicalJson does', () => {
    expect(() => canonicalJsonOfParsed(JSON.parse('{"a":1.5}'))).toThrow(RangeError);
    expect(() => canonicalJsonOfParsed(JSON.parse('[9007199254740993]'))).toThrow(RangeError);
  });
});
