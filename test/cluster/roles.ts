/**
 * `perfpixel collector` and `perfpixel worker` as child processes for the log-mode suites: real
 * processes, so a kill is a real SIGKILL. Output is kept (the last 200 lines) to wait on and to
 * show when a test fails.
 *
 * ```ts
 * const w = startRole('worker', env);
 * await w.waitFor(/worker running/);
 * w.kill('SIGKILL'); await w.exited;
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A running role. */
export interface Role {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  /** Resolves with the first output line (past or future) matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `perfpixel <role>` with `env` added to this process's environment (on the cores `cpus` lists, e.g. '0-1'). */
export function startRole(role: 'collector' | 'worker', env: Record<string, string>, cpus?: string): Role {
  const argv = [process.execPath, join(ROOT, 'bin/perfpixel.mjs'), role];
  if (cpus) argv.unshift('taskset', '-c', cpus);
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (!line) continue;
      output.push(line);
      if (output.length > 200) output.shift();
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      const seen = output.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolvePromise, reject) => {
        const t = setTimeout(() => reject(new Error(`${role} printed nothing matching ${re} in ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (line) => {
            clearTimeout(t);
            resolvePromise(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(t);
          reject(new Error(`${role} exited (${String(code)}) before printing ${re}:\n${output.slice(-30).join('\n')}`));
        });
      });
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
