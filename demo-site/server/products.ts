/** The demo shop's catalog (prices in cents here; the collector only ever sees exact decimal strings). */
export interface Product {
  id: string;
  name: string;
  blurb: string;
  priceCents: number;
  color: string;
}

export const PRODUCTS: readonly Product[] = [
  { id: 'harbor-parka', name: 'Harbor Parka', blurb: 'Waterproof, windproof, warm to −15 °C. Recycled shell.', priceCents: 18900, color: '#27476e' },
  { id: 'tram-jacket', name: 'Tram Commuter Jacket', blurb: 'Light, packable, reflective piping for dark mornings.', priceCents: 8900, color: '#b5563b' },
  { id: 'fjell-fleece', name: 'Fjell Fleece', blurb: 'Grid fleece that breathes on the climb and warms at the top.', priceCents: 5990, color: '#4f7d5c' },
  { id: 'wool-beanie', name: 'Merino Beanie', blurb: 'Soft merino, no itch, fits under a hood.', priceCents: 2490, color: '#8a6d3b' },
];
