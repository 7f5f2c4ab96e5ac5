/**
 * Reads a statement file (NDJSON) as a stream of bytes and feeds every line to the statement
 * verifier (verify-statement.ts), so the CLI (`perfpixel verify`, a Node file stream) and the
 * dashboard's "Verify a statement" page (`File.stream()` in the browser) run the same code from the
 * first byte to the verdict, on files of any size: only one chunk and one line are held at a time.
 *
 * ```ts
 * const verdict = await readStatement(file.stream(), createStatementVerifier({ sha256, verifyEd25519 }), {
 *   onProgress: ({ bytes, lines }) => bar.value = bytes,   // may return a promise: the reader waits for it
 * });
 * ```
 *
 * Pure: no clock, no I/O of its own. `ReadableStream`, `TransformStream` and `TextDecoderStream` are the same standard objects
 * in Node and in browsers. Blank lines are skipped; a line that is not JSON stops the reading with
 * its line number in the file.
 */
import type { StatementVerdict, StatementVerifier } from './verify-statement';

/** How far the reading got. */
export interface ReadProgress {
  /** Bytes of the file read so far. */
  bytes: number;
  /** Lines read so far (blank ones included: the file's own line numbers). */
  lines: number;
}

/** Options of `readStatement`. */
export interface ReadStatementOptions {
  /** Called after every chunk; a returned promise is awaited (the page yields to the screen there). */
  onProgress?: (p: ReadProgress) => void | Promise<void>;
  /** Stops the reading: the verdict says it was stopped. */
  signal?: AbortSignal;
}

/** Streams NDJSON bytes into `verifier` line by line; resolves to its verdict. */
export async function readStatement(bytes: ReadableStream<BufferSource>, verifier: StatementVerifier, o: ReadStatementOptions = {}): Promise<StatementVerdict> {
  const progress: ReadProgress = { bytes: 0, lines: 0 };
  const counted = new TransformStream<BufferSource, BufferSource>({
    transform(chunk, out) {
      progress.bytes += chunk.byteLength;
      out.enqueue(chunk);
    },
  });
  // A decoder stream for the whole file, so a character split across two chunks is decoded whole.
  const reader = bytes.pipeThrough(counted).pipeThrough(new TextDecoderStream('utf-8', { fatal: true })).getReader();
  let rest = '';
  const feed = (line: string): StatementVerdict | null => {
    progress.lines++;
    if (line.trim() === '') return null;
    const split = splitFacts(line);
    if (split) {
      verifier.line(split.value, { factsText: split.factsText });
      return null;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, line: progress.lines, seq: null, error: 'the line is not JSON' };
    }
    verifier.line(value);
    return null;
  };
  let finished = false;
  try {
    for (;;) {
      if (o.signal?.aborted) return { ok: false, line: progress.lines, seq: null, error: 'stopped before the end of the file' };
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (err) {
        // The decoder refuses bytes that are not UTF-8 with a TypeError; anything else is the source's own failure (I/O).
        if (err instanceof TypeError) return { ok: false, line: progress.lines + 1, seq: null, error: 'the file is not UTF-8 text' };
        throw err;
      }
      if (chunk.done) {
        finished = true;
        if (rest !== '') {
          const failed = feed(rest);
          if (failed) return failed;
        }
        return verifier.finish();
      }
      const text = rest + chunk.value;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const failed = feed(text.slice(start, nl));
        if (failed) return failed;
        start = nl + 1;
      }
      rest = text.slice(start);
      await o.onProgress?.(progress);
    }
  } finally {
    // Leaving early (a line that is not JSON, or stopped) stops the source: nothing more is read.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

const FACTS_FIRST = '{"facts":';
const THEN_GROUP = ',"group":';

/**
 * An advertiser's entry line as written (canonical JSON: `{"facts":F,"group":…}`), read as its facts
 * text F and the rest, each parsed once. The verifier hashes F as written instead of writing the
 * parsed facts out again — the facts are most of a statement's bytes, and re-writing them was an
 * eighth of the verification time (bench/statement-bench.ts). Sound whatever the line holds: the
 * facts re-run are the parse of exactly the text hashed, and the rest must not name facts again;
 * a split that does not parse (a line written otherwise) returns null and the line is read whole.
 */
function splitFacts(line: string): { value: Record<string, unknown>; factsText: string } | null {
  if (!line.startsWith(FACTS_FIRST)) return null;
  const at = line.indexOf(THEN_GROUP, FACTS_FIRST.length);
  if (at < 0) return null;
  const factsText = line.slice(FACTS_FIRST.length, at);
  let facts: unknown;
  let value: Record<string, unknown>;
  try {
    facts = JSON.parse(factsText);
    // Text that opens with `{` parses to an object or not at all.
    value = JSON.parse(`{${line.slice(at + 1)}`) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (Object.hasOwn(value, 'facts')) return null;
  value.facts = facts;
  return { value, factsText };
}
