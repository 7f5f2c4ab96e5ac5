/**
 * SDK benchmarks: the gzip size (level 9, node:zlib) of every built file, and the main-thread time
 * one tracked event costs in real Chromium — the synchronous work of `pp('conversion', …)` (build
 * the event, write it to the outbox, start the send), measured in the page with performance.now()
 * over many calls. The collector is a stub answering 202, so the network does not count.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_PATH, launchChromium } from '../test/e2e/support/browser';

/** Gzip sizes of sdk/dist/*.js and *.mjs. */
export function sdkSizes(root: string): { file: string; bytes: number; gzip: number }[] {
  const dist = join(root, 'sdk/dist');
  if (!existsSync(dist)) return [];
  return readdirSync(dist)
    .filter((f) => /\.(m?js)$/.test(f))
    .sort()
    .map((f) => {
      const raw = readFileSync(join(dist, f));
      return { file: `sdk/dist/${f}`, bytes: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
    });
}

/** Main-thread microseconds per tracked conversion in Chromium, or why it was not measured. */
export async function sdkMainThread(root: string, events = 500): Promise<{ microsPerEvent: number; events: number; browser: string } | { skipped: string }> {
  if (!existsSync(CHROMIUM_PATH)) return { skipped: `no ${CHROMIUM_PATH} (apt-get install -y chromium)` };
  const tag = join(root, 'sdk/dist/pp.js');
  if (!existsSync(tag)) return { skipped: 'sdk/dist/pp.js not built (npm run build)' };
  const server = createServer((req, res) => {
    if (req.url === '/pp.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(tag));
    } else if (req.url?.startsWith('/e') || req.url?.startsWith('/p.gif')) {
      req.resume();
      req.on('end', () => {
        res.writeHead(202, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
        res.end('{"accepted":1,"duplicate":0,"rejected":[],"conflict":[]}');
      });
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>bench</title><script async src="/pp.js" data-site="bench-site"></script>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => typeof (window as unknown as { pp?: unknown }).pp === 'function');
    const micros = await page.evaluate(async (n) => {
      const pp = (window as unknown as { pp: (cmd: string, data: unknown) => void }).pp;
      for (let i = 0; i < 20; i++) pp('conversion', { action: 'warmup', value: '1.00', currency: 'EUR', orderId: `w-${i}` });
      await new Promise((r) => setTimeout(r, 200));
      let total = 0;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        pp('conversion', { action: 'purchase', value: '49.90', currency: 'EUR', orderId: `o-${i}` });
        total += performance.now() - t;
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20)); // let sends settle, as pages do
      }
      return (total / n) * 1000;
    }, events);
    return { microsPerEvent: Math.round(micros), events, browser: browser.version() };
  } finally {
    await browser.close();
    server.close();
  }
}
