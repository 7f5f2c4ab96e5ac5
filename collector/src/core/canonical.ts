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

/** The canonical JSON text of a value (see the rules above); throws on a value it cannot encode. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'number':
      if (!Number.isSafeInteger(value)) throw new RangeError(`canonical JSON holds safe integers only, not ${value}`);
      return String(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const keys = Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
