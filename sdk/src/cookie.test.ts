import { describe, expect, it } from 'vitest';
import { readCookie, writeCookie } from './cookie';

/**
 * A cookie jar that knows a public-suffix list, like a browser: it refuses `domain=` values that are
 * public suffixes or not a suffix of the host, and records every write.
 */
function jar(href: string, publicSuffixes = ['com', 'uk', 'co.uk', 'example']) {
  const writes: string[] = [];
  const values = new Map<string, string>();
  const location = new URL(href);
  const document = {
    get cookie() {
      return [...values].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(s: string) {
      writes.push(s);
      const [pair, ...attrs] = s.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      const domain = attrs.find((a) => a.startsWith('domain='))?.slice(7);
      if (domain && (publicSuffixes.includes(domain) || !('.' + location.hostname).endsWith('.' + domain))) return;
      if (attrs.includes('Secure') && location.protocol != 'https:') return;
      const maxAge = +(attrs.find((a) => a.startsWith('max-age='))?.slice(8) ?? 1);
      if (maxAge <= 0) values.delete(name);
      else values.set(name, value);
    },
  };
  return { writes, w: { document, location } as unknown as Window };
}

describe('writeCookie', () => {
  it('scopes the cookie to the registrable domain, trying suffixes from the shortest', () => {
    const { writes, w } = jar('https://www.shop.co.uk/landing');
    writeCookie('_ppk', 'v1', 100, w);
    expect(writes.map((s) => s.match(/domain=([^;]*)/)?.[1])).toEqual(['uk', 'co.uk', 'shop.co.uk']);
    expect(readCookie('_ppk', w.document)).toBe('v1');
  });

  it('sets SameSite=Lax and Secure on https, and max-age in seconds', () => {
    const { writes, w } = jar('https://www.shop.example.com/');
    writeCookie('_ppk', 'v1', 7776000, w);
    expect(writes.at(-1)).toBe('_ppk=v1;path=/;SameSite=Lax;max-age=7776000;Secure;domain=example.com');
  });

  it('leaves Secure out on plain http, where the browser would refuse the cookie', () => {
    const { writes, w } = jar('http://shop.test/');
    writeCookie('_ppk', 'v1', 100, w);
    expect(writes.at(-1)).not.toContain('Secure');
    expect(readCookie('_ppk', w.document)).toBe('v1');
  });

  it('falls back to a host-only cookie when no domain is accepted (localhost, IP addresses)', () => {
    const { writes, w } = jar('http://127.0.0.1:8787/', ['1', '0.1', '0.0.1', '127.0.0.1']);
    writeCookie('_ppk', 'v1', 100, w);
    expect(writes.at(-1)).not.toContain('domain=');
    expect(readCookie('_ppk', w.document)).toBe('v1');
  });

  it('removes the cookie on the domain it was set on when maxAge is -1', () => {
    const { w } = jar('https://www.shop.co.uk/');
    writeCookie('_ppk', 'v1', 100, w);
    writeCookie('_ppk', '', -1, w);
    expect(w.document.cookie).toBe('');
  });
});

describe('readCookie', () => {
  it('reads one cookie among others without matching a longer name', () => {
    const d = { cookie: 'x_ppk=no; _ppk=yes; other=1' } as Document;
    expect(readCookie('_ppk', d)).toBe('yes');
    expect(readCookie('missing', d)).toBe('');
  });
});
