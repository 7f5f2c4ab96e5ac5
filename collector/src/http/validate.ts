/**
 * `validate(target, schema)`: the one way a route reads its input. Path params, the query string and
 * JSON bodies are parsed with zod before the handler runs — so nothing malformed (a NUL byte, a limit
 * of 0, a `from` after `to`) ever reaches a store query — and a refusal is a 400 with a readable
 * reason (`describeIssues`): `invalid_path`, `invalid_query`, `malformed_json` or `invalid`.
 * The handler reads the parsed value with `c.req.valid(target)`.
 *
 * Unlike hono/validator, a JSON body is read whatever its Content-Type (the API has always taken
 * bodies without one; treating them as `{}` would silently change nothing), and through `bodyText`, so
 * a chunked body that limitBody already counted is not read twice.
 */
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { describeIssues } from '../ingest/beacon-schema';
import { bodyText } from './body-limit';
import type { AppEnv } from './context';

/** Where an input comes from. */
export type Target = 'param' | 'query' | 'json';

const ERROR: Record<Target, string> = { param: 'invalid_path', query: 'invalid_query', json: 'invalid' };

/** Validates one input of a request against `schema`; 400 with the first issue when it does not fit. */
export function validate(target: Target, schema: z.ZodType): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let raw: unknown;
    if (target === 'param') raw = c.req.param();
    else if (target === 'query') {
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(c.req.queries())) {
        if (v.length !== 1) return c.json({ error: ERROR.query, reason: `${k}: given ${v.length} times; give it once` }, 400);
        flat[k] = v[0]!;
      }
      raw = flat;
    } else {
      try {
        raw = JSON.parse((await bodyText(c)) || '{}');
      } catch {
        return c.json({ error: 'malformed_json', reason: 'the body is not JSON' }, 400);
      }
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return c.json({ error: ERROR[target], reason: describeIssues(parsed.error) }, 400);
    c.req.addValidatedData(target, parsed.data as object);
    return next();
  };
}
