/**
 * Routes that document themselves. A route is defined once — method, path, who may call it, the zod
 * schemas of its path params, query, body and answers — and `route()` both registers it on the area's
 * Hono sub-app (with `limitBody`, `auth(...roles)` and `validate(...)` in front of the handler) and
 * records it for the OpenAPI document (openapi.ts). So the docs, the role table and the validation
 * cannot drift apart: they are the same object.
 *
 * ```ts
 * const r = createRouter(col, 'Reports');
 * r.route({ method: 'get', path: '/v1/ledger', summary: 'Ledger entry groups', roles: ['operator', 'advertiser'],
 *   query: ledgerQuery, responses: { 200: ledgerPage } }, async (c) => c.json(await page(c.req.valid('query'))));
 * app.route('/', r.app);   // app.ts mounts every area; buildOpenApi(routers.flatMap((r) => r.docs))
 * ```
 *
 * Hot paths (`/e`, `/p.gif`, `/ad`, `/c/:token`) pass `inHandler: true`: their schemas are documented
 * but checked inside the handler, so no middleware layer is added to them (they are benchmarked
 * against a plain node:http server).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { auth, type Role } from './auth';
import { limitBody } from './body-limit';
import { fail, type AppEnv, type Collector } from './context';
import { validate } from './validate';

/** One answer of a route: a zod schema of its JSON body, or a description of a non-JSON one. */
export type Answer = z.ZodType | { description: string; type?: string; schema?: z.ZodType };

/** A route's definition: what registers it and what documents it. */
export interface RouteDef<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete' | 'options';
  path: string;
  summary: string;
  /** Who may call it (empty: public). Checked by `auth(...roles)` (by the handler itself with `inHandler`). */
  roles?: Role[];
  params?: P;
  query?: Q;
  body?: B;
  /** Content type of the documented body (default application/json). */
  bodyType?: string;
  /** Body limit in bytes, enforced before the body is read (default 64 KiB when there is a body). */
  maxBytes?: number;
  /** The schemas and roles are documented only; the handler checks them itself (hot paths, the signed S2S postback). */
  inHandler?: boolean;
  /** Answers by status: a zod schema of the JSON, or a description. Error answers are added by `route()`. */
  responses: Record<number, Answer>;
  /** Not in the OpenAPI document (CORS preflight). */
  hidden?: boolean;
}

/** The parsed inputs a handler reads with `c.req.valid(...)`. */
type Out<T> = T extends z.ZodType ? z.output<T> : never;
type Valid<P, Q, B> = { out: { param: Out<P>; query: Out<Q>; json: Out<B> } };

/** A route as the OpenAPI document sees it. */
export interface RouteDoc extends Omit<RouteDef<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>, 'inHandler' | 'maxBytes' | 'hidden'> {
  tag: string;
}

/** An area of the API: its Hono sub-app (mounted by app.ts with `app.route`) and its route docs. */
export interface Router {
  app: Hono<AppEnv>;
  docs: RouteDoc[];
  route<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    def: RouteDef<P, Q, B>,
    handler: (c: Context<AppEnv, string, Valid<P, Q, B>>) => Response | Promise<Response>,
    ...before: MiddlewareHandler<AppEnv>[]
  ): void;
}

/** Creates the router of one area (`tag` groups its routes in the docs). */
export function createRouter(col: Collector, tag: string): Router {
  const app = new Hono<AppEnv>();
  const docs: RouteDoc[] = [];
  return {
    app,
    docs,
    route(def, handler, ...before) {
      const chain: MiddlewareHandler<AppEnv>[] = [...before];
      if (def.body && !def.inHandler) chain.push(limitBody(def.maxBytes ?? 64 * 1024, (c) => fail(c, 413, 'body_too_large', `at most ${def.maxBytes ?? 64 * 1024} bytes`)));
      // Path IDs first: a malformed one is refused before it can reach a query, even an auth lookup.
      if (def.params && !def.inHandler) chain.push(validate('param', def.params));
      if (def.roles?.length && !def.inHandler) chain.push(auth(col, ...def.roles));
      if (def.query && !def.inHandler) chain.push(validate('query', def.query));
      if (def.body && !def.inHandler) chain.push(validate('json', def.body));
      const on = app.on.bind(app) as (method: string, path: string, ...handlers: MiddlewareHandler<AppEnv>[]) => void;
      on(def.method.toUpperCase(), def.path, ...chain, handler as unknown as MiddlewareHandler<AppEnv>);
      if (!def.hidden) {
        const { inHandler: _i, maxBytes: _m, hidden: _h, ...doc } = def;
        void _i, _m, _h;
        docs.push({ ...doc, tag });
      }
    },
  };
}
