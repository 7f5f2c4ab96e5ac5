import { describe, expect, it } from 'vitest';
import { httpMarkdown } from './markdown';
import type { HttpResult, ScenarioSummary } from './http-bench';

const run = (name: string, server: string, requestsPerSec: number): HttpResult => ({ name, server, requestsPerSec, eventsPerSec: requestsPerSec, p50Ms: 1, p99Ms: 2, non2xx: 0, errors: 0, statusCodes: { 202: 1 } });
const sum = (scenario: string, target: string, [min, median, max]: number[]): ScenarioSummary => ({
  scenario,
  target,
  rounds: 3,
  ratio: { min: min!, median: median!, max: max! },
  requestsPerSec: { min: 900, median: 1000, max: 1100 },
  eventsPerSec: { min: 18_000, median: 20_000, max: 22_000 },
  p50Ms: 25,
  p99Ms: 65,
  refused: '0',
});

describe('httpMarkdown', () => {
  const facts = {
    command: 'npm run bench -- --http-only',
    startedAt: new Date('2026-12-07T01:24:10Z'),
    endedAt: new Date('2026-12-07T01:36:17Z'),
    machine: { cpus: 2, model: 'AMD EPYC', memoryGiB: 24, node: 'v20.20.2', pinned: true, loadAverageAtStart: 1.24 },
    loadAverageAtEnd: 1.36,
    rounds: 3,
    seconds: 5,
    connections: 64,
    preload: { asked: 5_000_000, rows: 3_340_000, megabytes: 2280 },
  };
  const md = httpMarkdown(
    [sum('POST /e, 1 event', 'reference', [0.798, 0.808, 0.818]), sum('POST /e, 1 event', 'sqlite-preloaded', [0.09, 0.1, 0.11]), sum('a|b', 'sqlite', [0.19, 0.2, 0.21])],
    [run('POST /e, 1 event#1', 'plain', 10_301), run('POST /e, 1 event#2', 'plain', 17_236), run('POST /e, 1 event#2', 'sqlite', 2_000), run('a|b#1', 'plain', 5)],
    facts,
  );

  it('says when, where, how long and how loaded the run was', () => {
    expect(md).toContain('`npm run bench -- --http-only`, 2026-12-07 01:24–01:36 UTC (727 s), on 2 × AMD EPYC, 24 GiB, Node 20.20.2');
    expect(md).toContain('3 interleaved rounds of 5 s; load average 1.24 at the start, 1.36 at the end.');
  });

  it("gives the plain server's own spread per scenario, from the plain rounds only", () => {
    expect(md).toContain('POST /e, 1 event 10,301–17,236; a|b 5–5.');
  });

  it('writes one row per target, the scenario named once, medians in bold, pipes escaped', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario'));
    expect(rows).toEqual([
      '| `POST /e, 1 event` | reference | 0.798 / **0.808** / 0.818 | 1,000 | 20,000 | 25 / 65 | 0 |',
      '|  | sqlite, 3.34 M rows preloaded | 0.09 / **0.1** / 0.11 | 1,000 | 20,000 | 25 / 65 | 0 |',
      '| `a\\|b` | sqlite | 0.19 / **0.2** / 0.21 | 1,000 | 20,000 | 25 / 65 | 0 |',
    ]);
    expect(md).toContain('Preloaded: 3,340,000 of 5,000,000 rows asked, 2,280 MB.');
  });
});
