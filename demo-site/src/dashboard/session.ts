/**
 * The signed-in API key, kept in sessionStorage: it survives a reload and is shared by the
 * dashboard and "verify my tag" (same origin), and is gone when the tab closes.
 */

const KEY = 'perfpixel.apiKey';

/** The key of this tab's session, or null. */
export function savedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Remembers the key for this tab. */
export function saveKey(key: string): void {
  try {
    sessionStorage.setItem(KEY, key);
  } catch {
    /* storage blocked: the session lasts as long as the page */
  }
}

/** Signs out. */
export function forgetKey(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing stored */
  }
}
