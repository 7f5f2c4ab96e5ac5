/** Reads a request body stream up to a byte limit: the body limit's and the first-party proxy's one loop. */

/**
 * The stream's bytes as UTF-8 text, or null the moment they pass `maxBytes` (the rest is not read:
 * the stream is cancelled). A missing stream is an empty body.
 */
export async function readCapped(stream: ReadableStream<Uint8Array> | null | undefined, maxBytes: number): Promise<string | null> {
  const reader = stream?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
