/**
 * `npm run bench`: prints a table and writes bench/results.json. Bounded (< 5 minutes), loopback
 * only. Ratios compare the collector with a plain node:http server measured in the same run.
 *
 *   npm run bench              # full run
 *   npm run bench -- --quick   # 3 s per scenario, for a smoke check
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runHttpBenchmarks } from './http-bench';

const quick = process.argv.includes('--quick');
const log = (s: string) => console.log(s);

async function main() {
  const started = Date.now();
  log(`perfpixel benchmarks (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  log('HTTP (server on core 0, load generator on core 1):');
  const http = await runHttpBenchmarks({ seconds: quick ? 3 : 10, connections: 64, log });
  const table = [];
  for (let i = 0; i < http.results.length; i += 2) {
    const p = http.results[i]!;
    const c = http.results[i + 1]!;
    table.push({
      scenario: p.name,
      'plain req/s': p.requestsPerSec,
      'collector req/s': c.requestsPerSec,
      ratio: Number((c.requestsPerSec / p.requestsPerSec).toFixed(2)),
      'events/s': c.eventsPerSec,
      'p50 ms (plain/coll.)': `${p.p50Ms}/${c.p50Ms}`,
      'p99 ms (plain/coll.)': `${p.p99Ms}/${c.p99Ms}`,
      'non-2xx/3xx': Object.entries(c.statusCodes).filter(([k]) => Number(k) >= 400).map(([k, v]) => `${k}:${v}`).join(' ') || '0',
    });
  }
  console.table(table);
  const out = {
    ranAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, pinned: http.pinned },
    http: { table, raw: http.results },
    seconds: Math.round((Date.now() - started) / 1000),
  };
  writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
  log(`wrote bench/results.json in ${out.seconds} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
