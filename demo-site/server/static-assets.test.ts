import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { mountDemoSite } from './mount';
import { acceptedEncodings } from './static-assets';

// `npm test` builds before it runs the tests: sdk/dist and demo-site/dist are there.
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const app = new Hono();
mountDemoSite(app, { config: { env: 'development', publicUrl: 'http://localhost:8787' }, keys: () => null, clock: () => 0, root });
const built = (file: string) => readFileSync(resolve(root, file));
const sri = (b: Buffer) => `sha384-${createHash('sha384').update(b).digest('base64')}`;
const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });
const bytes = async (r: Response) => Buffer.from(await r.arrayBuffer());

describe('the SDK as a CDN serves it', () => {
  it('sends pp.js as brotli or gzip, as the browser accepts, and as is otherwise', async () => {
    const pp = built('sdk/dist/pp.js');
    const br = await get('/pp.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(await bytes(br))).toEqual(pp);
    const gz = await get('/pp.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(await bytes(gz))).toEqual(pp);
    const plain = await get('/pp.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await bytes(plain)).toEqual(pp);
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    expect(br.headers.get('cache-control')).toBe('public, max-age=300');
    expect(br.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 304 to a revalidation with the same ETag', async () => {
    const first = await get('/nocode.js');
    const again = await get('/nocode.js', { 'if-none-match': first.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('serves one build under a versioned, immutable folder, with the SRI hash of each file', async () => {
    const current = (await (await get('/sdk/current.json')).json()) as { version: string; files: Record<string, { url: string; integrity: string }> };
    expect(current.version).toMatch(/^[0-9a-f]{12}$/);
    expect(current.files['pp.js']).toEqual(expect.objectContaining({ url: `/sdk/${current.version}/pp.js`, integrity: sri(built('sdk/dist/pp.js')) }));
    const pinned = await get(current.files['pp.js']!.url, { 'accept-encoding': 'br' });
    expect(pinned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(brotliDecompressSync(await bytes(pinned))).toEqual(built('sdk/dist/pp.js'));
    // pp.js loads its add-ons from its own folder: the same version's.
    expect((await get(`/sdk/${current.version}/nocode.js`)).status).toBe(200);
    expect((await get('/sdk/000000000000/pp.js')).status).toBe(404);
  });

  it('points the dashboard and the verify page at their versioned bundles, with SRI', async () => {
    for (const [page, js] of [['dashboard', 'demo-site/dist/dashboard.js'], ['verify', 'demo-site/dist/verify.js']] as const) {
      const html = await (await get(`/${page}/`)).text();
      const m = new RegExp(`src="(/assets/${page}/[0-9a-f]{12}/app\\.js)" integrity="([^"]+)"`).exec(html);
      expect(m, html).not.toBeNull();
      expect(m![2]).toBe(sri(built(js)));
      const res = await get(m![1]!, { 'accept-encoding': 'gzip' });
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(gunzipSync(await bytes(res))).toEqual(built(js));
      expect(html).toMatch(/href="\/assets\/dashboard\/[0-9a-f]{12}\/app\.css" integrity="sha384-/);
    }
  });

  it('reads Accept-Encoding with its weights', () => {
    expect([...acceptedEncodings('gzip;q=1.0, br;q=0, identity')]).toEqual(['gzip', 'identity']);
    expect([...acceptedEncodings('')]).toEqual([]);
  });
});
