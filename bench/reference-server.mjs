// The reference every collector figure is read against (issue 17): what this machine allows for a
// durable acknowledged write, written by hand. node:http, one SQLite file (WAL, synchronous=FULL),
// the collector's batching (natural group commit: one transaction per group, the next group is every
// request that arrived meanwhile, at most 1000), ONE multi-row INSERT per group, one row per request,
// and the answer sent only after COMMIT. No parsing, no validation, no money: the floor of the cost.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const port = Number(process.env.PORT ?? 8790);
const dir = mkdtempSync(join(tmpdir(), 'pp-ref-'));
const db = new Database(join(dir, 'ref.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, body TEXT NOT NULL)');

const inserts = new Map();
const insertFor = (n) => {
  let s = inserts.get(n);
  if (!s) {
    s = db.prepare(`INSERT INTO events (received_at, body) VALUES ${Array.from({ length: n }, () => '(?, ?)').join(', ')}`);
    inserts.set(n, s);
  }
  return s;
};

let queue = [];
let running = false;
const MAX_BATCH = 1000;
function loop() {
  if (queue.length === 0) {
    running = false;
    return;
  }
  const batch = queue.slice(0, MAX_BATCH);
  queue = queue.slice(batch.length);
  const now = Date.now();
  db.exec('BEGIN IMMEDIATE');
  insertFor(batch.length).run(batch.flatMap((w) => [now, w.body]));
  db.exec('COMMIT');
  for (const w of batch) w.done();
  setImmediate(loop);
}

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8') || req.url;
    queue.push({
      body,
      done: () => {
        res.writeHead(req.url?.startsWith('/c/') ? 302 : 204, req.url?.startsWith('/c/') ? { Location: 'http://127.0.0.1/' } : {});
        res.end();
      },
    });
    if (!running) {
      running = true;
      setImmediate(loop);
    }
  });
}).listen(port, '127.0.0.1', () => console.log('ready'));

const bye = () => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', bye);
process.on('SIGINT', bye);
