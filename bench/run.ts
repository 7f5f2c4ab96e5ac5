/**
 * `npm run bench`: prints a table and writes bench/results.json. Bounded (< 10 minutes on a quiet
 * machine), loopback only. Ratios compare the collector with a plain node:http server measured in the same run.
 *
 *   npm run bench              # full run
 *   npm run bench -- --quick   # short phases, fewer scenarios, smaller preload and replay (< 2 min on a quiet machine)
 *   npm run bench -- --http-only [--no-pg]
 *   BENCH_BEFORE_DIR=/path/to/older/checkout npm run bench -- --http-only   # before/after in the same rounds
 *   BENCH_CPU_PROF=/tmp/prof npm run bench -- --quick --http-only --no-pg     # CPU profiles of the collectors
 *   BENCH_SCENARIOS=regex BENCH_TARGETS=a,b …   # some scenarios, some targets (plain always runs)
 *   BENCH_IDS=uuid …                            # random UUIDs as event and page-view IDs (the SDK's are time-ordered: bench/sdk-ids.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHttpBenchmarks } from './http-bench';
import { runReplayBenchmarks } from './replay-bench';
import { runLogBenchmarks } from './log-bench';
import { runStatementBenchmark } from './statement-bench';
import { sdkMainThread, sdkSizes } from './sdk-bench';
import { httpMarkdown } from './markdown';

const quick = process.argv.includes('--quick');
const log = (s: string) => console.log(s);
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

async function main() {
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const rounds = 3;
  const seconds = quick ? 2 : 5;
  const connections = 64;
  if (process.argv.includes('--log-only')) return logOnly();
  if (process.argv.includes('--replay-only')) return replayOnly();
  log(`perfpixel benchmarks (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`);

  log(`\nHTTP (servers on core 0, load generator on core 1, ${connections} connections, ${rounds} interleaved rounds of ${seconds} s; ratio = req/s ÷ plain node:http req/s of the same round):`);
  const http = await runHttpBenchmarks({ seconds, connections, rounds, preloadRows: quick ? 200_000 : 5_000_000, postgres: !process.argv.includes('--no-pg'), beforeDir: process.env.BENCH_BEFORE_DIR, quick, log });
  const table = http.summary.map((s) => ({
    scenario: s.scenario,
    target: s.target,
    'ratio min/med/max': `${s.ratio.min}/${s.ratio.median}/${s.ratio.max}`,
    'req/s (median)': s.requestsPerSec.median,
    'events/s (median)': s.eventsPerSec.median,
    'p50/p99 ms': `${s.p50Ms}/${s.p99Ms}`,
    refused: s.refused,
  }));
  console.table(table);
  if (http.preload) log(`  preloaded database: ${JSON.stringify(http.preload)}`);
  // README's "Benchmark results" table is this file, as written (never a hand copy of the console).
  const markdownFile = join(root, quick ? 'bench/results-quick.md' : 'bench/results-http.md');
  const env = Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_') && k !== 'BENCH_CPU_PROF').map(([k, v]) => `${k}=${/^[\w,./:=-]*$/.test(v ?? '') ? v : `'${v}'`} `).join('');
  writeFileSync(
    markdownFile,
    httpMarkdown(http.summary, http.results, {
      command: `${env}npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      startedAt: new Date(started),
      endedAt: new Date(),
      machine: machine(http.pinned, loadAtStart),
      loadAverageAtEnd: loadavg()[0]!,
      rounds,
      seconds,
      connections,
      preload: http.preload as { asked: number; rows: number; megabytes: number } | null,
    }),
  );
  log(`wrote ${markdownFile.slice(root.length + 1)}`);
  if (quick) {
    log('\nAttribution replay through the real store and pipeline (1 k conversions over 10 k touches):');
    const replay = await runReplayBenchmarks([10_000], 1_000, log);
    console.table(replay);
    const out = { ranAt: new Date().toISOString(), quick, machine: machine(http.pinned, loadAtStart), loadAverageAtEnd: loadavg()[0], http, replay, seconds: Math.round((Date.now() - started) / 1000) };
    writeFileSync(join(root, 'bench/results-quick.json'), JSON.stringify(out, null, 2) + '\n');
    log(`\nwrote bench/results-quick.json in ${out.seconds} s; load average now ${loadavg()[0]!.toFixed(2)}`);
    return;
  }
  if (process.argv.includes('--http-only')) {
    // Merged into bench/results.json: the other sections keep their last full run (each says when).
    const file = join(root, 'bench/results.json');
    const out = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    Object.assign(out, { ranAt: new Date().toISOString(), quick, machine: machine(http.pinned, loadAtStart), loadAverageAtEnd: loadavg()[0], http, seconds: Math.round((Date.now() - started) / 1000) });
    writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    log(`\nmerged the HTTP results into bench/results.json in ${out.seconds} s; load average now ${loadavg()[0]!.toFixed(2)}`);
    return;
  }

  log('\nLog mode (collector on core 0; load generator and one JetStream server on core 1; workers unpinned):');
  const logMode = await runLogBenchmarks({ seconds: quick ? 3 : 10, connections: 64, events: quick ? 5_000 : 30_000, log }).catch((err: Error) => ({ skipped: `failed: ${err.message}` }));
  if ('skipped' in logMode) log(`  skipped: ${logMode.skipped}`);
  else {
    console.table(
      logMode.accept.map(({ plain: p, log: c }) => ({
        scenario: p.name,
        'plain req/s': p.requestsPerSec,
        'log-mode req/s': c.requestsPerSec,
        ratio: Number((c.requestsPerSec / p.requestsPerSec).toFixed(2)),
        'events/s': c.eventsPerSec,
        'p50 / p99 ms': `${c.p50Ms} / ${c.p99Ms}`,
        refused: Object.entries(c.statusCodes).filter(([k]) => Number(k) >= 400).map(([k, v]) => `${k}:${v}`).join(' ') || '0',
      })),
    );
    console.table(logMode.workers);
  }

  log(`\nAttribution replay through the real store and pipeline (${quick ? '2 k' : '20 k'} conversions, synchronous=FULL, groups of 500):`);
  const replay = await runReplayBenchmarks(quick ? [10_000, 50_000] : [100_000, 1_000_000], quick ? 2_000 : 20_000, log);
  console.table(replay);

  log(`\nStatement verification (perfpixel verify on an advertiser's statement of ${quick ? '10 k conversions over 100 k' : '100 k conversions over 1 M'} touches):`);
  const statement = await runStatementBenchmark({ touches: quick ? 100_000 : 1_000_000, conversions: quick ? 10_000 : 100_000, runs: 3, log });
  console.table([{ entries: statement.entries, MB: Number((statement.bytes / 1e6).toFixed(1)), lines: statement.lines, 'verify s (min/median/max)': `${statement.verifySeconds.min}/${statement.verifySeconds.median}/${statement.verifySeconds.max}`, 'entries/s': statement.entriesPerSecond, 'MB/s': statement.megabytesPerSecond, verified: statement.verified }]);

  log('\nSDK:');
  const sizes = sdkSizes(root);
  console.table(sizes);
  const mainThread = await sdkMainThread(root, quick ? 200 : 1000);
  log(`  main-thread time per tracked conversion: ${'skipped' in mainThread ? `skipped (${mainThread.skipped})` : `${mainThread.microsPerEvent} µs over ${mainThread.events} events in Chromium ${mainThread.browser}`}`);

  const out = {
    ranAt: new Date().toISOString(),
    quick,
    machine: machine(http.pinned, loadAtStart),
    loadAverageAtEnd: loadavg()[0],
    http,
    logMode,
    replay,
    statement,
    sdk: { sizes, mainThread },
    seconds: Math.round((Date.now() - started) / 1000),
  };
  writeFileSync(join(root, 'bench/results.json'), JSON.stringify(out, null, 2) + '\n');
  log(`\nwrote bench/results.json in ${out.seconds} s`);
}

/** `npm run bench -- --replay-only`: only the attribution replay, merged into bench/results.json. */
async function replayOnly() {
  const loadAverageAtStart = loadavg()[0];
  const replay = await runReplayBenchmarks(quick ? [10_000, 50_000] : [100_000, 1_000_000], quick ? 2_000 : 20_000, log);
  console.table(replay);
  const file = join(root, 'bench/results.json');
  const out = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  out.replay = { ranAt: new Date().toISOString(), loadAverageAtStart, loadAverageAtEnd: loadavg()[0], results: replay };
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
}

/** `npm run bench -- --log-only`: only the log-mode benchmarks, merged into bench/results.json. */
async function logOnly() {
  const loadAverageAtStart = loadavg()[0];
  log(`log-mode benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`);
  const logMode = await runLogBenchmarks({ seconds: quick ? 3 : 10, connections: 64, events: quick ? 5_000 : 30_000, log }).catch((err: Error) => ({ skipped: `failed: ${err.message}` }));
  console.log(JSON.stringify(logMode, null, 2));
  const file = join(root, 'bench/results.json');
  const out = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  out.logMode = { ranAt: new Date().toISOString(), loadAverageAtStart, ...logMode };
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
}

function machine(pinned: boolean, loadAverageAtStart: number) {
  return { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, pinned, loadAverageAtStart };
}

function join(...parts: string[]) {
  return resolve(...parts);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
