/**
 * The copy-paste snippets for a site: the tag itself, then what that kind of site adds — ad slots
 * for a publisher, a conversion call (and its no-JavaScript pixel) for an advertiser.
 */
import type { Site, Slot } from '../dashboard/api';

/** One titled snippet. */
export interface Snippet {
  title: string;
  code: string;
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The tag for a site, loaded from `collector` (the collector's origin). */
export function tagSnippet(siteId: string, collector: string): string {
  return [
    '<script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>',
    `<script async src="${attr(collector)}/pp.js" data-site="${attr(siteId)}"></script>`,
  ].join('\n');
}

/** Every snippet a site of this kind needs. */
export function snippetsFor(site: Pick<Site, 'id' | 'ownerType'>, slots: readonly Pick<Slot, 'id' | 'siteId' | 'width' | 'height' | 'name'>[], collector: string): Snippet[] {
  const out: Snippet[] = [{ title: 'The tag — once per page, just before </body>', code: tagSnippet(site.id, collector) }];
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
      title: 'A conversion — on the thank-you page (value as an exact decimal string)',
      code: "<script>\n  pp('conversion', { action: 'purchase', value: '49.90', currency: 'EUR', orderId: 'A-1001' });\n</script>",
    });
    out.push({ title: 'No-code conversion — on a button or form', code: '<form data-pp-conversion="signup">…</form>' });
    out.push({
      title: 'Without JavaScript — an image pixel',
      code: `<noscript><img src="${attr(collector)}/p.gif?s=${encodeURIComponent(site.id)}&amp;a=purchase&amp;v=49.90&amp;c=EUR&amp;o=A-1001" width="1" height="1" alt=""></noscript>`,
    });
  }
  return out;
}
