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
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { readStatement } from '../core/read-statement';
import { createStatementVerifier, type StatementVerdict, type TrustedKey } from '../core/verify-statement';
import { verifyEd25519 } from '../http/signing';
import { nodeSha256 } from '../store/sql-chain';

/** Verifies a statement file (NDJSON); `keysFile` is the operator's well-known keys document. */
export async function verifyStatementFile(path: string, keysFile?: string): Promise<StatementVerdict> {
  const trustedKeys = keysFile ? readKeys(keysFile) : undefined;
  // Opened before reading, so a missing or unreadable file is a plain error, not a half-read verdict.
  const fd = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  const verifier = createStatementVerifier({ sha256: nodeSha256, verifyEd25519, ...(trustedKeys ? { trustedKeys } : {}) });
  // The same reader as the browser page's (core/read-statement.ts), over the file as a web stream.
  // 1 MiB reads: with the default 64 KiB, the stream's hand-offs between chunks were a tenth of the
  // time on a 345 MB statement (bench/statement-bench.ts); one chunk is still all that is held.
  return readStatement(Readable.toWeb(fd.createReadStream({ highWaterMark: 1 << 20 })) as ReadableStream<BufferSource>, verifier);
}

/** The keys of the operator's well-known keys document; throws a readable error for anything else. */
function readKeys(file: string): TrustedKey[] {
  let doc: { keys?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown };
  } catch (err) {
    throw new Error(`cannot read the keys file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not JSON'}`);
  }
  const keys = doc?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k?.keyId === 'string' && typeof k?.publicKey === 'string')) {
    throw new Error(`the keys file ${file} is not the operator's keys document (GET /.well-known/perfpixel-keys.json: {"keys":[{"keyId","publicKey"}]})`);
  }
  return keys.map((k: TrustedKey) => ({ keyId: k.keyId, publicKey: k.publicKey }));
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
