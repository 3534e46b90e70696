// One log line per request. The default is uWSGI's shape, trimmed to what a router knows:
//   [pid: 4121|wid: 3|req: 17/230] 127.0.0.1 GET /test => generated 1234 bytes in 5 msecs (HTTP/1.1 200)
// log-format takes uWSGI's %(var) names instead; their list is the configuration's (config/log-format.ts),
// so that the loader checks a format without importing the router.
import { isLogFormatVar, LOG_FORMAT_VAR_RE, LOG_FORMAT_VARS, type LogFormatVar } from '../config/log-format.js';

export interface RequestRecord {
  readonly addr: string;
  readonly method: string;
  readonly uri: string;
  readonly proto: string;
  readonly status: number;
  readonly size: number;
  readonly micros: number;
  readonly wid: number;
  readonly pid: number;
  readonly workerRequests: number;
  readonly totalRequests: number;
  readonly host: string;
  readonly uagent: string;
  readonly referer: string;
}

export type LineFormatter = (r: RequestRecord) => string;

export function defaultFormat(r: RequestRecord): string {
  return (
    `[pid: ${r.pid}|wid: ${r.wid}|req: ${r.workerRequests}/${r.totalRequests}] ${r.addr} ${r.method} ${r.uri} ` +
    `=> generated ${r.size} bytes in ${Math.round(r.micros / 1000)} msecs (${r.proto} ${r.status})`
  );
}

const VARS: Record<LogFormatVar, (r: RequestRecord) => string | number> = {
  addr: (r) => r.addr,
  method: (r) => r.method,
  uri: (r) => r.uri,
  proto: (r) => r.proto,
  status: (r) => r.status,
  size: (r) => r.size,
  msecs: (r) => Math.round(r.micros / 1000),
  micros: (r) => r.micros,
  wid: (r) => r.wid,
  pid: (r) => r.pid,
  host: (r) => r.host,
  uagent: (r) => r.uagent,
  referer: (r) => r.referer,
  ltime: () => new Date().toString(),
  time: () => Math.floor(Date.now() / 1000),
  epoch: () => Math.floor(Date.now() / 1000),
};

/** Compile a log-format string once (the config loader has already rejected unknown variables). */
export function compileFormat(format: string): LineFormatter {
  const parts: (string | ((r: RequestRecord) => string | number))[] = [];
  let last = 0;
  for (const m of format.matchAll(LOG_FORMAT_VAR_RE)) {
    const name = m[1];
    if (!isLogFormatVar(name)) throw new Error(`log-format: unknown variable %(${name}) (known: ${LOG_FORMAT_VARS.join(', ')})`);
    const f = VARS[name];
    parts.push(format.slice(last, m.index), f);
    last = m.index! + m[0].length;
  }
  parts.push(format.slice(last));
  return (r) => parts.map((p) => (typeof p === 'string' ? p : String(p(r)))).join('');
}
