import type { HttpResult, ScenarioSummary } from './http-bench';

/** What a reader needs to judge a run besides its figures: where, when, how long, how loaded. */
export interface RunFacts {
  command: string;
  startedAt: Date;
  endedAt: Date;
  machine: { cpus: number; model?: string; memoryGiB: number; node: string; pinned: boolean; loadAverageAtStart: number };
  loadAverageAtEnd: number;
  rounds: number;
  seconds: number;
  connections: number;
  preload?: { asked: number; rows: number; megabytes: number } | null;
}

const utc = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
const cell = (s: string) => s.replace(/\|/g, '\\|');

/**
 * The HTTP results as the Markdown table README's "Benchmark results" shows, with the run's facts
 * and the plain server's own spread per scenario — so the README holds the bench's output, not a
 * hand copy of it (issue 17: "README's table is the bench's own output, with the machine, date and
 * the spread"). The plain server's spread is what says how noisy the run was.
 */
export function httpMarkdown(summary: ScenarioSummary[], results: HttpResult[], facts: RunFacts): string {
  const m = facts.machine;
  const lines = [
    `\`${facts.command}\`, ${utc(facts.startedAt)}–${facts.endedAt.toISOString().slice(11, 16)} UTC ` +
      `(${Math.round((facts.endedAt.getTime() - facts.startedAt.getTime()) / 1000)} s), on ${m.cpus} × ${m.model ?? 'cpu'}, ${m.memoryGiB} GiB, Node ${m.node.replace(/^v/, '')}; ` +
      `${m.pinned ? 'servers on core 0, load generator on core 1' : 'not pinned (fewer than 2 cores)'}; ${facts.connections} connections; ` +
      `${facts.rounds} interleaved rounds of ${facts.seconds} s; load average ${m.loadAverageAtStart.toFixed(2)} at the start, ${facts.loadAverageAtEnd.toFixed(2)} at the end.`,
    '',
    'The plain `node:http` server (answers 204) in the same rounds, req/s min–max: ' +
      [...new Set(summary.map((s) => s.scenario))]
        .map((scenario) => {
          const plain = results.filter((r) => r.server === 'plain' && r.name.startsWith(`${scenario}#`)).map((r) => r.requestsPerSec);
          return plain.length ? `${scenario} ${Math.min(...plain).toLocaleString('en')}–${Math.max(...plain).toLocaleString('en')}` : '';
        })
        .filter(Boolean)
        .join('; ') +
      '.',
    '',
    '| scenario | target | ratio min / **median** / max | req/s (median) | events/s (median) | p50 / p99 ms | refused |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  let last = '';
  for (const s of summary) {
    const target = s.target === 'sqlite-preloaded' && facts.preload ? `sqlite, ${(facts.preload.rows / 1e6).toFixed(2)} M rows preloaded` : s.target;
    lines.push(
      `| ${s.scenario === last ? '' : cell(`\`${s.scenario}\``)} | ${cell(target)} | ${s.ratio.min} / **${s.ratio.median}** / ${s.ratio.max} | ` +
        `${s.requestsPerSec.median.toLocaleString('en')} | ${s.eventsPerSec.median.toLocaleString('en')} | ${s.p50Ms} / ${s.p99Ms} | ${s.refused} |`,
    );
    last = s.scenario;
  }
  if (facts.preload) lines.push('', `Preloaded: ${facts.preload.rows.toLocaleString('en')} of ${facts.preload.asked.toLocaleString('en')} rows asked, ${facts.preload.megabytes.toLocaleString('en')} MB.`);
  return lines.join('\n') + '\n';
}
