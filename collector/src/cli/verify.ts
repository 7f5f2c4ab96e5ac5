/**
 * `perfpixel verify statement.ndjson` — re-runs a downloaded statement offline, with no server and
 * no database: the chain, the signature, every group re-priced from its facts by the same core code
 * (core/verify-statement.ts), and the totals.
 *
 * ```sh
 * npx perfpixel verify statement.ndjson                                   # trusts the keys in the statement (said so)
 * npx perfpixel verify statement.ndjson --keys perfpixel-keys.json        # trusts the operator's published keys
 * ```
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createStatementVerifier, type StatementVerdict, type TrustedKey } from '../core/verify-statement';
import { verifyEd25519 } from '../http/signing';
import { nodeSha256 } from '../store/sql-chain';

/** Verifies a statement file (NDJSON); `keysFile` is the operator's well-known keys document. */
export async function verifyStatementFile(path: string, keysFile?: string): Promise<StatementVerdict> {
  const trustedKeys = keysFile ? (JSON.parse(readFileSync(keysFile, 'utf8')) as { keys: TrustedKey[] }).keys : undefined;
  const verifier = createStatementVerifier({ sha256: nodeSha256, verifyEd25519, ...(trustedKeys ? { trustedKeys } : {}) });
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, line: n, seq: null, error: 'the line is not JSON' };
    }
    verifier.line(value);
  }
  return verifier.finish();
}

/** The verdict as a person reads it. */
export function describeVerdict(v: StatementVerdict): string {
  if (!v.ok) return `✗ does not verify — line ${v.line}${v.seq !== null ? `, chain entry ${v.seq}` : ''}: ${v.error}`;
  const money = v.totals.map((t) => `  ${t.account.padEnd(28)} ${t.currency} ${formatNet(BigInt(t.netMicros))}`).join('\n');
  return [
    `✓ verified: ${v.party.kind} ${v.party.id}, ${new Date(v.period.from).toISOString()} – ${new Date(v.period.to).toISOString()}`,
    `  ${v.entries} entries (${v.charges} charges), ${v.rerun} re-run from their facts to the micro${v.withoutFacts ? `, ${v.withoutFacts} without recorded facts (chain only)` : ''}`,
    `  chain ${v.firstHash ?? '(no entries)'} … ${v.lastHash}`,
    `  end head signed with key ${v.keyId}${v.trustedKey ? ' (trusted)' : ' (taken from the statement itself: pass --keys to check it against the published keys)'}`,
    'totals (debits − credits):',
    money || '  (none)',
  ].join('\n');
}

function formatNet(micros: bigint): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  return `${neg ? '-' : ''}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`;
}
