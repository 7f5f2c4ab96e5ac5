/**
 * Collector configuration, read from environment variables only and validated at start.
 *
 * ```ts
 * const config = loadConfig(process.env); // throws ConfigError with every problem listed
 * ```
 *
 * In development (no PP_ENV=production) the signing secret and the operator key are generated
 * once and kept under ./data/ so restarts keep issued click IDs valid; in production both must be
 * given. Nothing secret is ever committed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/** Thrown by loadConfig with one readable line per invalid variable. */
export class ConfigError extends Error {}

const cidrList = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .refine((list) => list.every((c) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(c)), 'must be a comma-separated list of CIDRs like 10.0.0.0/8');

const env = z.object({
  PP_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:|file:|:memory:)/, 'must start with postgres://, sqlite: or file:')
    .optional(),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase PostgreSQL schema name').optional(),
  SECRET: z.string().min(32, 'must be at least 32 characters (use `openssl rand -hex 32`)').optional(),
  OPERATOR_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  SIGNING_KEY_FILE: z.string().min(1).optional(),
  SIGNING_KEYS_RETIRED: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
    .refine((keys) => keys.every((k) => /^[A-Za-z0-9+/]{43}=$/.test(k)), 'a comma-separated list of raw Ed25519 public keys, base64'),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  TRUSTED_PROXIES: cidrList,
  DATACENTER_CIDRS: cidrList,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  SEED: z.enum(['auto', 'never']).default('auto'),
  MAX_QUEUE: z.coerce.number().int().min(1).default(5000),
});

/** The validated configuration the server entry hands to the app. */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string;
  /** PostgreSQL schema to use (tests and side-by-side deployments); default the search_path. */
  databaseSchema: string | undefined;
  secret: string;
  operatorKey: string;
  /** The operator's Ed25519 signing key for the ledger chain's head (PKCS #8 PEM). */
  signingKey: string;
  /** Retired public keys still listed at /.well-known/perfpixel-keys.json. */
  retiredSigningKeys: string[];
  sqliteSynchronous: 'FULL' | 'NORMAL';
  trustedProxies: string[];
  datacenterCidrs: string[];
  logLevel: string;
  seed: 'auto' | 'never';
  maxQueue: number;
}

/** Validates `vars` (normally process.env) and fills development defaults. */
export function loadConfig(vars: Record<string, string | undefined>): Config {
  const parsed = env.safeParse(vars);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const production = e.PP_ENV === 'production';
  if (production) {
    const missing = ['SECRET', 'OPERATOR_KEY', 'PUBLIC_URL', 'SIGNING_KEY_FILE'].filter((k) => !vars[k]);
    if (missing.length) throw new ConfigError(`invalid configuration:\n${missing.map((k) => `  ${k}: required when PP_ENV=production`).join('\n')}`);
  }
  return {
    env: e.PP_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${join(dataDir, 'perfpixel.db')}`,
    databaseSchema: e.DATABASE_SCHEMA,
    secret: e.SECRET ?? devSecret(join(dataDir, 'secret'), 32),
    operatorKey: e.OPERATOR_KEY ?? devSecret(join(dataDir, 'operator-key'), 18, 'ppo_'),
    signingKey: e.SIGNING_KEY_FILE ? readFileSync(resolve(e.SIGNING_KEY_FILE), 'utf8') : devSigningKey(join(dataDir, 'signing-key.pem')),
    retiredSigningKeys: e.SIGNING_KEYS_RETIRED,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    trustedProxies: e.TRUSTED_PROXIES,
    datacenterCidrs: e.DATACENTER_CIDRS,
    // Request logs in production; a quiet terminal for the demo unless asked.
    logLevel: e.LOG_LEVEL ?? (production ? 'info' : 'warn'),
    seed: e.SEED,
    maxQueue: e.MAX_QUEUE,
  };
}

/** Reads a development secret from `file`, creating it (mode 0600) on first use. */
function devSecret(file: string, bytes: number, prefix = ''): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const value = prefix + randomBytes(bytes).toString('base64url');
  writeFileSync(file, value + '\n', { mode: 0o600 });
  return value;
}

/** Reads the development signing key from `file`, generating an Ed25519 key (mode 0600) on first use. */
function devSigningKey(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dirname(file), { recursive: true });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  writeFileSync(file, pem, { mode: 0o600 });
  return pem;
}
