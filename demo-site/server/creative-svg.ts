/** Creative images for the demo campaigns, drawn as SVG so the repository carries no binaries. */

const CREATIVES: Record<string, { w: number; h: number; bg: string; fg: string; title: string; line: string; cta: string }> = {
  'nw-winter-mrec': { w: 300, h: 250, bg: '#27476e', fg: '#fff', title: 'Winter jackets', line: '20% off this week', cta: 'Shop Northwind' },
  'nw-winter-leader': { w: 728, h: 90, bg: '#27476e', fg: '#fff', title: 'Northwind winter jackets', line: 'Free returns · 2-year warranty', cta: 'Shop now' },
  'nw-winter-sky': { w: 300, h: 600, bg: '#1d3553', fg: '#fff', title: 'Built for cold commutes', line: 'Harbor Parka · −15 °C rated', cta: 'See the range' },
  'nw-brand-mrec': { w: 300, h: 250, bg: '#f1ece2', fg: '#27476e', title: 'Northwind Outfitters', line: 'Gear that lasts a decade', cta: 'Our story' },
  'nw-brand-mobile': { w: 320, h: 50, bg: '#f1ece2', fg: '#27476e', title: 'Northwind Outfitters', line: '', cta: 'Visit' },
  'll-trial-mrec': { w: 300, h: 250, bg: '#0f766e', fg: '#fff', title: 'Ledgerly', line: 'Bookkeeping in 10 min a week', cta: 'Start free trial' },
  'll-trial-leader': { w: 728, h: 90, bg: '#0f766e', fg: '#fff', title: 'Ledgerly', line: 'Try it free for 30 days — no card needed', cta: 'Start free' },
  'll-trial-mobile': { w: 320, h: 50, bg: '#0f766e', fg: '#fff', title: 'Ledgerly free trial', line: '', cta: 'Try' },
};

const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);

/** The SVG of a demo creative, or null for an unknown one. */
export function creativeSvg(id: string): string | null {
  const c = CREATIVES[id];
  if (!c) return null;
  const wide = c.w / c.h > 3;
  // A wide banner keeps its button to a quarter of the width, so a 320×50 title never runs under it.
  const btnW = Math.min(160, c.w * (wide ? 0.25 : 0.5));
  // The title shrinks to fit its line (a bold system-ui glyph is about 0.6 em wide).
  const room = wide ? c.w - btnW - 44 : c.w * 0.9;
  const title = Math.min(wide ? Math.min(28, c.h * 0.32) : Math.min(30, c.w * 0.1), room / (c.title.length * 0.6));
  const small = Math.max(title * 0.55, Math.min(13, c.h * 0.2));
  const tx = wide ? 20 : c.w / 2;
  const anchor = wide ? 'start' : 'middle';
  // A one-line wide banner centres its title on the button's line.
  const ty = wide ? (c.line ? c.h * 0.45 : c.h / 2 + title * 0.35) : c.h * 0.38;
  const btnH = Math.min(40, c.h * 0.5);
  const bx = wide ? c.w - btnW - 16 : (c.w - btnW) / 2;
  const by = wide ? (c.h - btnH) / 2 : c.h * 0.68;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${c.w}" height="${c.h}" viewBox="0 0 ${c.w} ${c.h}" role="img" aria-label="${esc(c.title)}">
<rect width="100%" height="100%" fill="${c.bg}"/>
<path d="M0 ${c.h} L${c.w * 0.35} ${c.h * 0.55} L${c.w * 0.55} ${c.h * 0.8} L${c.w * 0.75} ${c.h * 0.5} L${c.w} ${c.h * 0.85} V${c.h} Z" fill="${c.fg}" opacity="0.08"/>
<text x="${tx}" y="${ty}" fill="${c.fg}" font-family="system-ui,Segoe UI,Helvetica,Arial,sans-serif" font-size="${title}" font-weight="700" text-anchor="${anchor}">${esc(c.title)}</text>
${c.line ? `<text x="${tx}" y="${ty + title * 0.95}" fill="${c.fg}" opacity="0.85" font-family="system-ui,Segoe UI,Helvetica,Arial,sans-serif" font-size="${small}" text-anchor="${anchor}">${esc(c.line)}</text>` : ''}
<rect x="${bx}" y="${by}" width="${btnW}" height="${btnH}" rx="${btnH / 2}" fill="${c.fg}"/>
<text x="${bx + btnW / 2}" y="${by + btnH * 0.64}" fill="${c.bg}" font-family="system-ui,Segoe UI,Helvetica,Arial,sans-serif" font-size="${Math.min(15, btnH * 0.42)}" font-weight="700" text-anchor="middle">${esc(c.cta)}</text>
</svg>`;
}
