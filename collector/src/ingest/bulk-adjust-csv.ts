/**
 * The bulk-adjustment file (issue 14): a CSV (RFC 4180: quoted fields, "" for a quote, CRLF or LF)
 * with a header row naming its columns, in any order:
 *
 *     order_id,action,amount,reason
 *     A-1001,reverse,,refund
 *     A-1002,restate,19.90,partial refund
 *
 * `action` is reverse, restate, dispute, approve or reject; `amount` the new value (restate only);
 * `reason` is required; an optional `conversion_action` column names the conversion action when one
 * order ID has several (a purchase and a signup). Parsing only: the money is decided by the commands.
 */
import type { ConversionCommand } from '../core/conversion-status';

/** At most this many lines per file (besides the header): a file is previewed and applied in one request. */
export const MAX_BULK_LINES = 1000;
/** At most this many bytes of CSV. */
export const MAX_BULK_BYTES = 256 * 1024;

const COMMANDS: readonly ConversionCommand[] = ['reverse', 'restate', 'dispute', 'approve', 'reject'];
const COLUMNS = ['order_id', 'action', 'amount', 'reason', 'conversion_action'] as const;

/** One line of the file, as written (`line` is its 1-based line number in the file, the header being 1). */
export interface BulkLine {
  line: number;
  orderId: string;
  command: ConversionCommand | null;
  amount: string;
  reason: string;
  actionKey: string | null;
  /** What is wrong with the line itself (before any conversion is looked up). */
  error: string | null;
}

/** A parsed file, or why it cannot be read at all. */
export type BulkFile = { ok: true; lines: BulkLine[] } | { ok: false; reason: string };

/** Splits CSV text into rows of fields (RFC 4180); null when a quote is never closed. */
export function csvRows(text: string): string[][] | null {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM, as spreadsheets write it
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) return null;
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  // Blank lines (a trailing newline, an empty line between) are not lines of the file.
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

/** Reads a bulk-adjustment file: the header, then one BulkLine per row (errors per line, not per file). */
export function parseBulkCsv(text: string): BulkFile {
  const rows = csvRows(text);
  if (!rows) return { ok: false, reason: 'a quoted field is never closed' };
  const [header, ...body] = rows;
  if (!header) return { ok: false, reason: 'the file is empty: it needs a header row order_id,action,amount,reason' };
  const names = header.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_'));
  const unknown = names.filter((n) => !(COLUMNS as readonly string[]).includes(n));
  if (unknown.length) return { ok: false, reason: `unknown column ${JSON.stringify(unknown[0])}: the columns are ${COLUMNS.join(', ')}` };
  for (const need of ['order_id', 'action', 'reason'] as const) if (!names.includes(need)) return { ok: false, reason: `the header has no ${need} column` };
  if (body.length === 0) return { ok: false, reason: 'the file has a header but no lines' };
  if (body.length > MAX_BULK_LINES) return { ok: false, reason: `${body.length} lines: at most ${MAX_BULK_LINES} per file` };
  const col = (r: string[], n: (typeof COLUMNS)[number]) => {
    const i = names.indexOf(n);
    return i < 0 ? '' : (r[i] ?? '').trim();
  };
  const seen = new Map<string, number>();
  const lines = body.map((r, i): BulkLine => {
    const line = i + 2;
    const orderId = col(r, 'order_id');
    const action = col(r, 'action').toLowerCase();
    const command = (COMMANDS as readonly string[]).includes(action) ? (action as ConversionCommand) : null;
    const out: BulkLine = { line, orderId, command, amount: col(r, 'amount'), reason: col(r, 'reason'), actionKey: col(r, 'conversion_action') || null, error: null };
    const key = `${out.actionKey ?? ''}\u0000${orderId}`;
    if (r.length > names.length) out.error = `${r.length} fields, the header has ${names.length}`;
    else if (!orderId) out.error = 'no order ID';
    else if (orderId.length > 128) out.error = 'an order ID has at most 128 characters';
    else if (!command) out.error = action ? `unknown action "${action}": use ${COMMANDS.join(', ')}` : 'no action';
    else if (!out.reason) out.error = 'a reason is required';
    else if (out.reason.length > 500) out.error = 'a reason has at most 500 characters';
    else if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(out.reason + orderId)) out.error = 'control characters';
    else if (command === 'restate' && !out.amount) out.error = 'a restatement needs an amount (the new value)';
    else if (command !== 'restate' && out.amount) out.error = `an amount is only for restate, not ${command}`;
    else if (out.actionKey && !/^[a-z0-9_-]{1,64}$/.test(out.actionKey)) out.error = 'conversion_action: lowercase letters, digits, _ and -';
    // One line per conversion: re-uploading the file then finds every conversion already where its
    // line puts it, so nothing moves twice (two lines for one order would restate it back and forth).
    else if (seen.has(key)) out.error = `order ${orderId} is already on line ${seen.get(key)}: one line per conversion`;
    if (!out.error) seen.set(key, line);
    return out;
  });
  return { ok: true, lines };
}
