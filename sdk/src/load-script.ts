/** Loads one of the tag's add-ons (`ads.js`, `vitals.js`, `debug.js`) from the folder of `src`, the tag's own URL. */
// size: the src setter turns the URL into its string
export const loadScript = (file: string, src: string | undefined, d: Document): HTMLScriptElement =>
  d.head.appendChild(Object.assign(d.createElement('script'), { src: new URL(file, src) as unknown as string }));
