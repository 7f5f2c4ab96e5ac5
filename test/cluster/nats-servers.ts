/**
 * NATS servers for tests: one JetStream server, or a cluster of three, each a child process on
 * loopback ports picked free (never the shared 4222) with its store in a temp dir, stopped and
 * removed by `stop()`. A server can be killed (SIGKILL) and started again on the same ports and
 * store, as after a crash.
 *
 * ```ts
 * const nats = await startNats({ servers: 3 });
 * nats.urls;                 // ['nats://127.0.0.1:41234', …]
 * await nats.kill('n2'); await nats.restart('n2');
 * await nats.stop();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../reliability/harness';

export { freePort };

/** Resolves once something accepts connections on the port. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Node {
  name: string;
  port: number;
  config: string;
  proc: ChildProcess | null;
}

/** Running test servers. */
export interface NatsServers {
  urls: string[];
  names: string[];
  /** SIGKILLs a server (as a crash). */
  kill(name: string): Promise<void>;
  /** Starts a killed server again with the same ports and store. */
  restart(name: string): Promise<void>;
  /** Stops every server and removes the stores. */
  stop(): Promise<void>;
}

/** Starts `servers` JetStream servers (1, or a cluster of 3), optionally pinned to one core (benchmarks). */
export async function startNats(o: { servers: 1 | 3; bin?: string; pinCore?: number }): Promise<NatsServers> {
  const bin = o.bin ?? process.env.NATS_SERVER_BIN ?? 'nats-server';
  const dir = mkdtempSync(join(tmpdir(), 'pp-nats-'));
  const clientPorts = await Promise.all(Array.from({ length: o.servers }, freePort));
  const routePorts = await Promise.all(Array.from({ length: o.servers }, freePort));
  const nodes: Node[] = clientPorts.map((port, k) => {
    const name = `n${k + 1}`;
    const lines = [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${port}`,
      // sync_interval does not exist in 2.9 (Debian's): JetStream's file store syncs on its own schedule.
      `jetstream { store_dir: "${join(dir, name)}", max_memory_store: 64MB, max_file_store: 2GB }`,
    ];
    if (o.servers > 1) {
      const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
      lines.push(`cluster { name: pp-test, listen: 127.0.0.1:${routePorts[k]}, routes: [${routes}] }`);
    }
    const config = join(dir, `${name}.conf`);
    writeFileSync(config, lines.join('\n') + '\n');
    return { name, port, config, proc: null };
  });
  const launch = async (n: Node) => {
    const argv = o.pinCore === undefined ? [bin, '-c', n.config] : ['taskset', '-c', String(o.pinCore), bin, '-c', n.config];
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    proc.once('error', (e) => {
      err += String(e);
    });
    n.proc = proc;
    try {
      await waitForPort(n.port);
    } catch (e) {
      throw new Error(`${n.name} did not start: ${err}`, { cause: e });
    }
  };
  const byName = (name: string) => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no server ${name}`);
    return n;
  };
  const stopNode = async (n: Node, signal: NodeJS.Signals) => {
    const p = n.proc;
    n.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };
  try {
    await Promise.all(nodes.map(launch));
  } catch (err) {
    await Promise.all(nodes.map((n) => stopNode(n, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    urls: nodes.map((n) => `nats://127.0.0.1:${n.port}`),
    names: nodes.map((n) => n.name),
    kill: (name) => stopNode(byName(name), 'SIGKILL'),
    restart: (name) => launch(byName(name)),
    async stop() {
      await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
