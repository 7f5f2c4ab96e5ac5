/**
 * The tag for a shop in first-party mode: the queue stub first (so a `pp()` call anywhere on the page
 * works, before or after it), then the tag from the shop's own path, sending to that path.
 */

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The queue stub every snippet starts with (sdk/README.md). */
export const QUEUE_STUB = '<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>';

/** The first-party snippet for `site`, with the tag served under `path` of the shop's origin. */
export function firstPartySnippet(site: string, path: string): string {
  const p = attr(path.replace(/\/+$/, ''));
  return `${QUEUE_STUB}\n<script async src="${p}/pp.js" data-site="${attr(site)}" data-endpoint="${p}"></script>`;
}
