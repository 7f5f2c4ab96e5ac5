/**
 * Runs the `perfpixel` command as a user does — `node bin/perfpixel.mjs …` from the repository root,
 * a child process — for the CLI's tests, the statement e2e suite and the statement benchmark.
 *
 * ```ts
 * const r = await perfpixel('verify', 'statement.ndjson', '--keys', 'perfpixel-keys.json');
 * r.code; r.stdout; r.stderr; r.seconds;
 * ```
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** What one run printed, how it exited and how long it took (wall clock). */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `node bin/perfpixel.mjs …args`; killed after `timeoutMs` (default 10 minutes). */
export function perfpixel(...args: string[]): Promise<CliRun> {
  return perfpixelWith({}, ...args);
}

/** The same with options. */
export function perfpixelWith(o: { timeoutMs?: number }, ...args: string[]): Promise<CliRun> {
  return new Promise((ok, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin/perfpixel.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 600_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}
