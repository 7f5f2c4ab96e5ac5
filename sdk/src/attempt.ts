/**
 * Runs `f`, returning undefined instead of throwing. Storage throws anywhere: reading `localStorage`
 * throws where storage is blocked (Chrome "block all cookies", sandboxed iframes), and writes throw
 * QuotaExceededError; the tag keeps working in memory either way.
 */
export const attempt = <T>(f: () => T): T | void => {
  try {
    return f();
  } catch {}
};

/** Calls a localStorage method, or returns undefined where storage is blocked or full. */
export const local = (
  w: Window,
  method: 'getItem' | 'setItem' | 'removeItem',
  key: string,
  value?: string,
): string | null | void => attempt(() => w.localStorage[method](key, value!));
