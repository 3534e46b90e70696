// stats = ADDRESS: every connection gets one JSON document and is closed (uWSGI's stats server), so uWSGI
// tools read it. With stats-http: an HTTP server, JSON at `/` and Prometheus text at `/metrics`.
// A bare `:port` binds 127.0.0.1 here (unlike http): stats reveal internals, so loopback is the default.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { parseAddress } from '../config/values.js';
import * as log from '../log.js';
import { appMetrics } from '../master/app-metrics.js';
import { StartupError } from '../sys/startup-error.js';
import { freeUnixSocketPath } from '../sys/unix-socket.js';
import { uwsgiStats, type StatsSource } from './collector.js';
import { prometheusText } from './prometheus.js';

/** tsws's own metrics, then the app's (app-metrics = true), gathered from its workers for this scrape. */
async function metricsText(src: StatsSource): Promise<string> {
  if (!src.cfg['app-metrics']) return prometheusText(src);
  await appMetrics.collect(src.pool.workers());
  const own = prometheusText(src);
  const taken = new Set([...own.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
  return own + appMetrics.text(taken);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function startStatsServer(address: string, http: boolean, src: StatsSource): Promise<{ server: Server; where: string; unixPath: string | null }> {
  const a = parseAddress(address);
  const json = () => JSON.stringify(uwsgiStats(src));
  const server: Server = http
    ? createHttpServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/metrics') {
          void metricsText(src).then((text) => {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
            res.end(text);
          });
        } else if (path === '/') {
          res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
          res.end(json());
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('404: stats are at / (JSON) and /metrics (Prometheus)\n');
        }
      })
    : createServer((sock) => {
        sock.on('error', () => {});
        sock.end(json());
      });
  // A second tsws with the same stats path is refused here rather than taking the first one's socket.
  if (a.kind === 'unix') await freeUnixSocketPath(a.path, 'stats');
  const host = a.kind === 'tcp' ? a.host || '127.0.0.1' : '';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new StartupError(`stats: cannot listen on ${address}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`)));
    if (a.kind === 'unix') server.listen(a.path, resolve);
    else server.listen({ host, port: a.port }, resolve);
  });
  let where: string;
  if (a.kind === 'unix') where = a.path;
  else {
    const info = server.address() as { address: string; port: number; family: string };
    where = `${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
    if (!LOOPBACK.test(host)) log.warn(`stats on ${where} is reachable beyond this host: it shows pids, memory and request counts (bind 127.0.0.1 or a unix socket)`);
  }
  return { server, where: `${http ? 'http://' : ''}${where}`, unixPath: a.kind === 'unix' ? a.path : null };
}
