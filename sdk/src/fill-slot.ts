import { onViewable } from './on-viewable';

/** The ad decision `GET /ad` answers for one slot in one page view. */
export interface AdDecision {
  w: number;
  h: number;
  img: string;
  alt: string;
  /** The collector's click redirect `GET /c/:token`, which records the click itself. */
  href: string;
  /** The signed decision token, sent with the impressions. */
  tk: string;
}

/**
 * Fills one `<ins data-pp-slot="SLOT_ID" data-pp-size="300x250">`: reserves its size first (so the ad
 * never shifts the layout), asks `GET /ad`, renders the creative as a plain image link with a visible
 * "Ad" label, then reports the served impression and, later, the MRC viewable one through `onEvent`.
 * No `clk` is sent for these ads: the click redirect records the click server-side.
 */
export function fillSlot(
  el: HTMLElement,
  endpoint: string,
  pageViewId: string,
  onEvent: (type: 'imp' | 'vi', token: string) => void,
  w: Window & typeof globalThis,
): Promise<void> {
  const d = w.document;
  const [width, height] = (el.dataset.ppSize || '').split('x');
  el.style.cssText = 'display:inline-block;position:relative;width:' + width + 'px;height:' + height + 'px';
  return w
    .fetch(endpoint + '/ad?slot=' + encodeURIComponent(el.dataset.ppSlot!) + '&p=' + pageViewId)
    .then((r) => r.json())
    .then(({ ad }: { ad: AdDecision | null }) => {
      if (!ad) return;
      const a = Object.assign(d.createElement('a'), { href: ad.href, target: '_blank', rel: 'sponsored noopener' });
      const label = d.createElement('span');
      a.append(Object.assign(d.createElement('img'), { src: ad.img, width: ad.w, height: ad.h, alt: ad.alt }));
      // Ads must be recognisable as ads (FTC .com Disclosures; IAB/ASA labelling guidance).
      label.append('Ad');
      label.style.cssText = 'position:absolute;top:0;right:0;font:11px sans-serif;background:#fff';
      el.append(a, label);
      onEvent('imp', ad.tk);
      onViewable(el, ad.w * ad.h, () => onEvent('vi', ad.tk), w);
    });
}
