/**
 * Built files served like a CDN would (issue 13): compressed (brotli or gzip, as the browser's
 * `Accept-Encoding` asks; both made once per build, at the first request), under a stable URL with a
 * short cache and under a versioned URL — a content hash in the path — cached for a year as
 * `immutable`, with the SRI hash (`sha384-…`) a snippet puts in `integrity`.
 *
 * ```ts
 * const sdk = createAssetSet(resolve(root, 'sdk/dist'), ['pp.js', 'ads.js']);
 * sdk.current().version;                 // 'a1b2c3d4e5f6' — one hash over every file of the set
 * serveAsset(c, sdk.current().files.get('pp.js')!, 'stable');
 * ```
 *
 * The SDK's files are one set with one version: `pp.js` loads its add-ons (`ads.js`, `nocode.js`…)
 * from its own folder, so `/sdk/<version>/pp.js` gets the add-ons of the same build, never a mix.
 * Versions seen since the process started stay served; older ones are gone after a restart (a CDN
 * or object store in front keeps them for good).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Context } from 'hono';

/** One built file with its compressed forms and hashes. */
export interface Asset {
  name: string;
  type: string;
  body: Buffer;
  br: Buffer;
  gzip: Buffer;
  /** Strong ETag: the content's SHA-256, quoted. */
  etag: string;
  /** Subresource Integrity of the uncompressed body (SRI §3.1: sha384, base64). */
  integrity: string;
}

/** One version of a set of files. */
export interface AssetVersion {
  /** 12 hex characters of the SHA-256 over every file's name and content. */
  version: string;
  files: Map<string, Asset>;
}

/** A set of built files that change together (the SDK's, or one page's bundle). */
export interface AssetSet {
  /** The files as they are on disk now (re-read when one changes); null while one is missing. */
  current(): AssetVersion | null;
  /** A version seen since start, by its hash. */
  version(hash: string): AssetVersion | null;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Compresses and hashes one file (brotli at its best quality: done once per build). */
function asset(name: string, body: Buffer): Asset {
  return {
    name,
    type: TYPES[extname(name)] ?? 'application/octet-stream',
    body,
    br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    gzip: gzipSync(body, { level: 9 }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    integrity: `sha384-${createHash('sha384').update(body).digest('base64')}`,
  };
}

/**
 * The files `names` of folder `dir` (`served` renames them: served name → file name). They are
 * read again when a file's size or modification time changes (a rebuild while the server runs).
 */
export function createAssetSet(dir: string, names: readonly string[], served: Record<string, string> = {}): AssetSet {
  const seen = new Map<string, AssetVersion>();
  let stamp = '';
  let now: AssetVersion | null = null;
  const fileOf = (name: string) => join(dir, served[name] ?? name);
  return {
    current() {
      const paths = names.map(fileOf);
      if (!paths.every((p) => existsSync(p))) return null;
      const s = paths.map((p) => statSync(p)).map((x) => `${x.size}:${x.mtimeMs}`).join('|');
      if (s !== stamp || !now) {
        const files = new Map(names.map((n) => [n, asset(n, readFileSync(fileOf(n)))] as const));
        const h = createHash('sha256');
        for (const a of files.values()) h.update(`${a.name}\0`).update(a.body);
        const version = h.digest('hex').slice(0, 12);
        now = seen.get(version) ?? { version, files };
        seen.set(version, now);
        stamp = s;
      }
      return now;
    },
    version(hash) {
      this.current();
      return seen.get(hash) ?? null;
    },
  };
}

/**
 * Answers a GET for `a`: brotli, gzip or the file as is, by the request's `Accept-Encoding`
 * (RFC 9110 §12.5.3; `;q=0` refuses one), `304` for a matching `If-None-Match`. `stable` URLs may be
 * cached five minutes; `immutable` ones (a version in the path) a year.
 */
export function serveAsset(c: Context, a: Asset, cache: 'stable' | 'immutable' | 'no-cache', extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = {
    'Content-Type': a.type,
    'Cache-Control': cache === 'immutable' ? 'public, max-age=31536000, immutable' : cache === 'stable' ? 'public, max-age=300' : 'no-cache',
    ETag: a.etag,
    Vary: 'Accept-Encoding',
    ...extra,
  };
  if (c.req.header('if-none-match')?.split(/\s*,\s*/).includes(a.etag)) return c.body(null, 304, headers);
  const accepted = acceptedEncodings(c.req.header('accept-encoding') ?? '');
  if (accepted.has('br')) return c.body(new Uint8Array(a.br), 200, { ...headers, 'Content-Encoding': 'br' });
  if (accepted.has('gzip')) return c.body(new Uint8Array(a.gzip), 200, { ...headers, 'Content-Encoding': 'gzip' });
  return c.body(new Uint8Array(a.body), 200, headers);
}

/** The codings an `Accept-Encoding` header accepts (q > 0). */
export function acceptedEncodings(header: string): Set<string> {
  const out = new Set<string>();
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    if (coding && (q === undefined || Number(q) > 0)) out.add(coding);
  }
  return out;
}
