// health-check = ADDRESS: liveness and readiness over HTTP on a listener of their own, for a kubelet or a
// load balancer. Not on the app's port, where /livez and /readyz would shadow the app's own routes, and not
// the stats server, which is loopback-only by default and says more than a prober should see.
import { createServer, type Server } from 'node:http';
import type { Config } from '../config/options.js';
import { parseAddress } from '../config/values.js';
import { StartupError } from '../sys/startup-error.js';
import { freeUnixSocketPath } from '../sys/unix-socket.js';
import type { Worker } from './worker-handle.js';

/** What readiness is decided from; the master fills it in at each probe. */
export interface ReadinessFacts {
  /** Every slot has had a worker ready once (startup is over). */
  readonly started: boolean;
  /** 'delay': SIGTERM came and shutdown-delay runs; 'stopping': draining or stopping. */
  readonly stopping: 'delay' | 'stopping' | null;
  /** Workers serving and answering heartbeats. */
  readonly serving: number;
  readonly minServing: number;
  readonly queued: number;
  /** `listen`: a request beyond this many queued gets 503. */
  readonly queueLimit: number;
}

/** The facts from the master's parts: its workers, the router's queue, its configuration and its own state. */
export function readinessFacts(workers: Iterable<Worker>, queued: number, cfg: Config, started: boolean, stopping: ReadinessFacts['stopping'] | false): ReadinessFacts {
  let serving = 0;
  for (const w of workers) if (w.state === 'serving' && !w.unresponsive) serving++;
  return { started, stopping: stopping || null, serving, minServing: cfg['health-check-min-workers'], queued, queueLimit: cfg.listen };
}

/**
 * Ready: requests sent now would be served. Each reason to refuse is one a load balancer should act on:
 * during the shutdown delay, to stop sending before the listener closes; with too few workers or a full
 * queue, to send to another host rather than get a 503 from this one.
 */
export function readiness(f: ReadinessFacts): { ready: boolean; why: string } {
  if (f.stopping === 'delay') return { ready: false, why: 'shutting down (shutdown-delay: still serving, not for long)' };
  if (f.stopping) return { ready: false, why: 'stopping' };
  if (!f.started) return { ready: false, why: 'starting' };
  if (f.serving < f.minServing) return { ready: false, why: `${f.serving} worker(s) serving, fewer than health-check-min-workers ${f.minServing}` };
  if (f.queued >= f.queueLimit) return { ready: false, why: `queue full: ${f.queued} requests waiting (listen ${f.queueLimit})` };
  return { ready: true, why: `${f.serving} worker(s) serving, ${f.queued} queued` };
}

function answer(res: import('node:http').ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
  res.end(`${text}\n`);
}

/** Listen on `address`: GET /livez (the master's loop answered) and GET /readyz (readiness()). */
export async function startProbes(address: string, facts: () => ReadinessFacts): Promise<{ server: Server; where: string }> {
  const a = parseAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // Answered by the master's own event loop: a master that is stuck never gets here, and the prober's
    // timeout fails liveness. Nothing else (a worker's state) makes the master worth restarting.
    if (path === '/livez') return answer(res, 200, `live: master pid ${process.pid}`);
    if (path === '/readyz') {
      const r = readiness(facts());
      return answer(res, r.ready ? 200 : 503, `${r.ready ? 'ready' : 'not ready'}: ${r.why}`);
    }
    answer(res, 404, 'probes are GET /livez and GET /readyz');
  });
  server.keepAliveTimeout = 1000; // probers open a connection per probe; idle ones must not pile up
  if (a.kind === 'unix') await freeUnixSocketPath(a.path, 'health-check');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new StartupError(`health-check: cannot listen on ${address}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`)));
    if (a.kind === 'unix') server.listen(a.path, resolve);
    else server.listen({ host: a.host || undefined, port: a.port }, resolve);
  });
  const info = server.address();
  const where = typeof info === 'string' || !info ? address : `${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
  return { server, where };
}
