/**
 * Canonical JSON: one byte sequence per value, so a hash of it means the same thing to the collector
 * that wrote a ledger entry and to anyone re-checking it later (the statement verifier, in Node or a
 * browser). The rules, as RFC 8785 (JCS) for the values we use:
 *
 * | value                  | written as                                                        |
 * |------------------------|-------------------------------------------------------------------|
 * | object                 | keys sorted by UTF-16 code units, no spaces; undefined members left out |
 * | bigint (money)         | a decimal string: "5000000"                                      |
 * | integer number         | its shortest decimal form; a non-integer or unsafe number is refused |
 * | string, boolean, null  | as JSON.stringify writes them                                     |
 *
 * Refusing fractional and unsafe numbers keeps float formatting out of anything that is hashed:
 * money is bigint micros, times are integer epoch ms.
 */

/**
 * Keys seen before, as JSON strings: a statement repeats the same few dozen keys millions of times,
 * and escaping each again was a tenth of the verifier's time (bench/statement-bench.ts). Bounded,
 * and a pure memo: the same key always gives the same text.
 */
const quotedKeys = new Map<string, string>();

function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < 4096) quotedKeys.set(k, q);
  }
  return q;
}

/** The canonical JSON text of a value (see the rules above); throws on a value it cannot encode. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'number':
      if (!Number.isSafeInteger(value)) throw new RangeError(`canonical JSON holds safe integers only, not ${value}`);
      return String(value);
    case 'object': {
      // One string built by appending (no intermediate arrays): this runs over every byte a verifier hashes.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const v: unknown = value[i];
          out += v === undefined ? 'null' : canonicalJson(v);
        }
        return `${out}]`;
      }
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o);
      // Parsed canonical text (a statement being verified) is in order already: check before sorting.
      for (let i = 1; i < keys.length; i++) {
        if (keys[i - 1]! > keys[i]!) {
          keys.sort();
          break;
        }
      }
      let out = '{';
      for (const k of keys) {
        const v = o[k];
        if (v === undefined) continue;
        if (out.length > 1) out += ',';
        out += `${quoteKey(k)}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** True when `value`, as JSON.parse gives values, holds only what canonical JSON holds, every object's keys already in canonical order. */
function inCanonicalOrder(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isSafeInteger(value);
    case 'object': {
      if (Array.isArray(value)) {
        for (const v of value) if (!inCanonicalOrder(v)) return false;
        return true;
      }
      const o = value as Record<string, unknown>;
      let prev: string | null = null;
      for (const k in o) {
        // A key JavaScript enumerates out of canonical order (e.g. "9" before "10") fails this too.
        if (prev !== null && prev >= k) return false;
        if (!inCanonicalOrder(o[k])) return false;
        prev = k;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * The canonical JSON text of a value parsed from JSON text (a statement's line): the same text as
 * `canonicalJson`, found fast when the parsed text was canonical already — JSON.stringify writes
 * keys in the order they enumerate and strings with the same escapes, so once every object's keys
 * are checked to be in order and every number a safe integer, its text is the canonical one.
 * Anything else takes the general path (which sorts, or throws).
 */
export function canonicalJsonOfParsed(value: unknown): string {
  return inCanonicalOrder(value) ? JSON.stringify(value) : canonicalJson(value);
}
