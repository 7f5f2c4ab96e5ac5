/** Reads a request body stream up to a byte limit: the body limit's and the first-party proxy's one loop. */

/** A capped read: the text, or — past the limit — the reader, still holding the rest of the body. */
export type CappedRead = { ok: true; text: string } | { ok: false; reader: ReadableStreamDefaultReader<Uint8Array> };

/**
 * The stream's bytes as UTF-8 text, or, the moment they pass `maxBytes`, the reader with the rest
 * unread: the caller drains it (the body limit's lingering close) or cancels it. A missing stream is
 * an empty body.
 */
export async function readCapped(stream: ReadableStream<Uint8Array> | null | undefined, maxBytes: number): Promise<CappedRead> {
  const reader = stream?.getReader();
  if (!reader) return { ok: true, text: '' };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) return { ok: false, reader };
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

/** The text of a capped read, or null past the limit (the rest of the body cancelled). */
export async function readCappedText(stream: ReadableStream<Uint8Array> | null | undefined, maxBytes: number): Promise<string | null> {
  const r = await readCapped(stream, maxBytes);
  if (r.ok) return r.text;
  await r.reader.cancel().catch(() => undefined);
  return null;
}
