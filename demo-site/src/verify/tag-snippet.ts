/**
 * The copy-paste snippets for a site: the tag itself, then what that kind of site adds — ad slots
 * for a publisher, a conversion call (and its no-JavaScript pixel) and first-party mode for an
 * advertiser. Every snippet that calls `pp()` starts with the queue stub (issue 13): pasted above
 * the tag, below it, or in another order, each one works — a conversion call placed above the tag
 * used to fail with `ReferenceError: pp is not defined`.
 */
import type { Site, Slot } from '../dashboard/api';

/** One titled snippet. */
export interface Snippet {
  title: string;
  code: string;
  /** A sentence under the code, when it needs one. */
  note?: string;
}

/** The tag's versioned URL and its SRI hash (`GET /sdk/current.json`), when the collector serves them. */
export interface PinnedTag {
  url: string;
  integrity: string;
}

/** The queue stub (sdk/README.md): defines `pp` if the tag has not, and queues calls until it loads. */
export const QUEUE_STUB = 'window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}';

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The tag for a site, loaded from `collector` (the collector's origin): by default the stable
 * `/pp.js`; with `pinned`, the versioned URL with `integrity` (and `crossorigin`, which SRI needs
 * for a script from another origin), so the browser runs it only if it is exactly that build.
 */
export function tagSnippet(siteId: string, collector: string, pinned?: PinnedTag): string {
  const src = pinned ? `${attr(collector)}${attr(pinned.url)}" integrity="${attr(pinned.integrity)}" crossorigin="anonymous` : `${attr(collector)}/pp.js`;
  return [`<script>${QUEUE_STUB}</script>`, `<script async src="${src}" data-site="${attr(siteId)}"></script>`].join('\n');
}

/** A conversion call that works anywhere on the page: its first line is the stub. */
export function conversionSnippet(): string {
  return `<script>\n  ${QUEUE_STUB};\n  pp('conversion', { action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'A-1001' });\n</script>`;
}

/** The tag in first-party mode (`perfpixel/first-party` mounted at `path` on the shop's own server). */
export function firstPartyTagSnippet(siteId: string, path = '/k3x'): string {
  const p = attr(path.replace(/\/+$/, ''));
  return [`<script>${QUEUE_STUB}</script>`, `<script async src="${p}/pp.js" data-site="${attr(siteId)}" data-endpoint="${p}"></script>`].join('\n');
}

/** Every snippet a site of this kind needs. */
export function snippetsFor(
  site: Pick<Site, 'id' | 'ownerType'>,
  slots: readonly Pick<Slot, 'id' | 'siteId' | 'width' | 'height' | 'name'>[],
  collector: string,
  pinned?: PinnedTag,
): Snippet[] {
  const out: Snippet[] = [
    {
      title: 'The tag — once per page, anywhere (in <head> is best)',
      code: tagSnippet(site.id, collector, pinned),
      note: pinned
        ? `This exact build of the tag, checked by the browser (SRI). To always get the newest build instead, load ${collector}/pp.js without integrity.`
        : undefined,
    },
  ];
  if (site.ownerType === 'publisher') {
    const own = slots.filter((s) => s.siteId === site.id);
    out.push({
      title: 'Ad slots — where each ad should appear',
      code: own.length
        ? own.map((s) => `<!-- ${s.name} -->\n<ins data-pp-slot="${attr(s.id)}" data-pp-size="${s.width}x${s.height}"></ins>`).join('\n')
        : '<!-- create a slot first (POST /v1/slots), then: -->\n<ins data-pp-slot="SLOT_ID" data-pp-size="300x250"></ins>',
    });
  } else {
    out.push({
      title: 'A conversion — on the thank-you page, above or below the tag (value as an exact decimal string)',
      code: conversionSnippet(),
    });
    out.push({ title: 'No-code conversion — on a button or form', code: '<form data-pp-conversion="signup">…</form>' });
    out.push({
      title: 'Without JavaScript — an image pixel',
      code: `<noscript><img src="${attr(collector)}/p.gif?s=${encodeURIComponent(site.id)}&amp;a=purchase&amp;v=49.90&amp;c=EUR&amp;o=A-1001" width="1" height="1" alt=""></noscript>`,
    });
    out.push({
      title: 'First-party mode — the tag from your own server (keeps click IDs in Safari and past ad blockers)',
      code: firstPartyTagSnippet(site.id),
      note: 'Mount perfpixel/first-party on your server at /k3x (a path of your own) with your S2S secret; this tag then replaces the one above.',
    });
  }
  return out;
}
