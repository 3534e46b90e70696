// The app contract (tsws's WSGI): the module's export is a Node request listener `(req, res)` — plain
// handlers, Express, Koa's app.callback() — or anything with `fetch(Request) => Response` (Hono and other
// web-standard handlers). ES modules and CommonJS both load through import().
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

export type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;
/** WebSocket and other upgrades: the same arguments as Node's server 'upgrade' event. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

export interface App {
  readonly listener: Listener;
  readonly upgrade: UpgradeHandler | null;
}

interface FetchHandler {
  /** `env` is what @hono/node-server passes: the Node request and response (Hono's getConnInfo reads it). */
  fetch(request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }): Response | Promise<Response>;
}

/** `/abs/app.js` or `/abs/app.js:name` → the path and the export name (default export if none). */
export function splitModuleSpec(spec: string): { path: string; exportName: string | null } {
  const i = spec.lastIndexOf(':');
  if (i > 0 && /^[A-Za-z_$][\w$]*$/.test(spec.slice(i + 1))) return { path: spec.slice(0, i), exportName: spec.slice(i + 1) };
  return { path: spec, exportName: null };
}

/** What a module exports as an app, or why it exports none. */
export type Exported = { readonly app: App; readonly why?: undefined } | { readonly app: null; readonly why: string };

/**
 * Import the module and adapt its export. Upgrades (WebSocket) go to a named export `upgrade`, or to an
 * `upgrade` method of the app object: Node's request listener alone cannot see them. A module that exports
 * no app is no error here: it may start a server with listen() instead (see listen-hook.ts).
 */
export async function importApp(spec: string): Promise<Exported> {
  const { path, exportName } = splitModuleSpec(spec);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  let app: unknown;
  if (exportName) {
    // A CommonJS module's exports arrive as `default`; its named exports may or may not be detected.
    app = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
    if (app === undefined) return { app: null, why: `${path} has no export named "${exportName}" (it exports: ${exportNames(mod)})` };
  } else {
    app = mod.default;
    if (app === undefined) return { app: null, why: `${path} has no default export (it exports: ${exportNames(mod)}); name one with module = ${path}:NAME` };
  }
  const listener = adapt(app, path);
  if (typeof listener === 'string') return { app: null, why: listener };
  const upgrade = (app as { upgrade?: unknown } | null)?.upgrade ?? mod.upgrade;
  return { app: { listener, upgrade: typeof upgrade === 'function' ? (upgrade as UpgradeHandler).bind(app) : null } };
}

/** importApp for a module that must export its app (the benchmarks' contenders). */
export async function loadApp(spec: string): Promise<App> {
  const e = await importApp(spec);
  if (!e.app) throw new Error(e.why);
  return e.app;
}

function exportNames(mod: Record<string, unknown>): string {
  const names = Object.keys(mod);
  return names.length ? names.join(', ') : 'nothing';
}

function adapt(app: unknown, path: string): Listener | string {
  if (app && typeof (app as FetchHandler).fetch === 'function') return fetchListener(app as FetchHandler);
  if (typeof app === 'function') return app as Listener;
  // A Koa application object: its request listener is app.callback().
  if (app && typeof (app as { callback?: unknown }).callback === 'function') return (app as { callback(): Listener }).callback();
  return (
    `the export of ${path} is ${app === null ? 'null' : typeof app}, not an app: export a request listener (req, res) => {…}, ` +
    'an object with fetch(request) => Response, or a Koa app'
  );
}

/** Serve a web-standard fetch handler from Node's http server, streaming both bodies. */
export function fetchListener(handler: FetchHandler): Listener {
  return async (req, res) => {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
      signal: controller.signal,
      // undici requires duplex: 'half' for a streamed request body.
      duplex: hasBody ? 'half' : undefined,
    } as RequestInit);
    const response = await handler.fetch(request, { incoming: req, outgoing: res });
    const out: Record<string, string | string[]> = {};
    response.headers.forEach((v, k) => {
      if (k !== 'set-cookie') out[k] = v;
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    if (!response.body || req.method === 'HEAD') {
      if (!response.body && out['content-length'] === undefined && req.method !== 'HEAD' && response.status !== 204 && response.status !== 304) out['content-length'] = '0';
      res.writeHead(response.status, response.statusText, out);
      res.end();
      return;
    }
    // A body whose whole length is known at once (new Response('text'), JSON, a buffer) gets Content-Length,
    // as @hono/node-server gives it: its stream already holds everything and is closed, so two reads finish
    // in this turn. A stream still producing (SSE) is sent chunked, its first chunk without waiting more.
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    const next = first.done ? Promise.resolve(first) : reader.read();
    const second = await Promise.race([next, new Promise<null>((r) => setImmediate(r, null))]);
    if (second !== null && second.done) {
      const body = first.done ? null : first.value;
      if (out['content-length'] === undefined) out['content-length'] = String(body?.byteLength ?? 0);
      res.writeHead(response.status, response.statusText, out);
      res.end(body ?? undefined);
      return;
    }
    res.writeHead(response.status, response.statusText, out);
    res.write(first.value);
    const pending = next; // the second chunk, come or still coming
    async function* rest(): AsyncGenerator<Uint8Array> {
      let done = false;
      try {
        for (let r = await pending; !(done = r.done); r = await reader.read()) yield r.value;
      } finally {
        // The client went away mid-body: the app's stream is cancelled (its cancel() runs), as before.
        if (!done) void reader.cancel().catch(() => {});
      }
    }
    // pipeline ends, or destroys both sides when the client goes away mid-body.
    await pipeline(Readable.from(rest()), res);
  };
}
