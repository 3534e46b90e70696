// One log line per request. The default is uWSGI's shape, trimmed to what a router knows:
//   [pid: 4121|wid: 3|req: 17/230] 127.0.0.1 GET /test => generated 1234 bytes in 5 msecs (HTTP/1.1 200)
// log-format takes uWSGI's %(var) names instead; their list is the configuration's (config/log-format.ts),
// so that the loader checks a format without importing the router. log-encoder = json writes jsonFormat.
// What a client sends (URI, headers) never reaches a line raw: control characters are escaped in text, and
// a format that is a JSON object (`{"uri":"%(uri)"}`) gets JSON-escaped values (uWSGI #1293).
import { isLogFormatVar, LOG_FORMAT_VAR_RE, LOG_FORMAT_VARS, type LogFormatVar } from '../config/log-format.js';
import { jsonInner, jsonString, textSafe } from '../json-text.js';

export interface RequestRecord {
  readonly addr: string;
  /** The request's Authorization header, or '' (%(user) reads the Basic-auth user name from it). */
  readonly authorization: string;
  readonly method: string;
  readonly uri: string;
  readonly proto: string;
  readonly status: number;
  /** Bytes sent to the client: status line, headers and body (uWSGI's %(size)). */
  readonly size: number;
  /**
   * The status line and headers as written, for %(hsize), %(headers) and %(rsize): measured only by a format
   * that asks (a byte count and a split per request cost the default line ~10 µs of the router's ~55).
   */
  readonly head: string;
  /** The request's Content-Length (0 without one). */
  readonly cl: number;
  readonly micros: number;
  readonly wid: number;
  readonly pid: number;
  readonly workerRequests: number;
  readonly totalRequests: number;
  readonly host: string;
  readonly uagent: string;
  readonly referer: string;
  /** From arrival to when the attempt that answered was sent to its worker (µs; 0: never sent). */
  readonly queueMicros: number;
  /** '' when request ids are off. */
  readonly requestId: string;
  /** The request was sent to a second worker after the first failed. */
  readonly retried: boolean;
}

export type LineFormatter = (r: RequestRecord) => string;

export function defaultFormat(r: RequestRecord): string {
  return (
    `[pid: ${r.pid}|wid: ${r.wid}|req: ${r.workerRequests}/${r.totalRequests}] ${r.addr} ${r.method} ${textSafe(r.uri)} ` +
    `=> generated ${r.size} bytes in ${Math.round(r.micros / 1000)} msecs (${r.proto} ${r.status})` +
    (r.requestId ? ` rid=${r.requestId}` : '')
  );
}

const ms = (micros: number): number => Math.round(micros) / 1000;

/**
 * log-encoder = json: one object per request, the names of uWSGI's variables where it has one. Strings are
 * escaped to ASCII (json-text.ts), so a line always parses whatever the client sent.
 */
export function jsonFormat(r: RequestRecord): string {
  return (
    `{"time":"${new Date(startMs(r)).toISOString()}","type":"request","wid":${r.wid},"pid":${r.pid},` +
    `"method":${jsonString(r.method)},"uri":${jsonString(r.uri)},"proto":${jsonString(r.proto)},"status":${r.status},` +
    `"size":${r.size},"duration_ms":${ms(r.micros)},"queue_ms":${ms(r.queueMicros)},"addr":${jsonString(r.addr)},` +
    `"request_id":${r.requestId ? jsonString(r.requestId) : 'null'},"retried":${r.retried},"host":${jsonString(r.host)},` +
    `"uagent":${jsonString(r.uagent)},"referer":${jsonString(r.referer)},"user":${jsonString(basicUser(r.authorization))}}`
  );
}

/** When the request arrived (ms): the line is written as it ends, `micros` later. */
const startMs = (r: RequestRecord): number => Date.now() - r.micros / 1000;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** C's ctime() without its newline, in local time: `Thu Dec  1 17:08:00 2026` (uWSGI's %(ctime)). */
export function ctime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

const VARS: Record<LogFormatVar, (r: RequestRecord) => string | number> = {
  addr: (r) => r.addr,
  user: (r) => basicUser(r.authorization),
  method: (r) => r.method,
  uri: (r) => r.uri,
  proto: (r) => r.proto,
  status: (r) => r.status,
  size: (r) => r.size,
  rsize: (r) => Math.max(0, r.size - Buffer.byteLength(r.head)), // the body as sent: a chunked one counts its chunk framing
  hsize: (r) => Buffer.byteLength(r.head),
  headers: (r) => (r.head ? r.head.split('\r\n').length - 3 : 0), // minus the status line and the blank line's two ends
  cl: (r) => r.cl,
  msecs: (r) => Math.round(r.micros / 1000),
  micros: (r) => r.micros,
  secs: (r) => (r.micros / 1e6).toFixed(6),
  wid: (r) => r.wid,
  pid: (r) => r.pid,
  host: (r) => r.host,
  uagent: (r) => r.uagent,
  referer: (r) => r.referer,
  ltime: () => new Date().toString(),
  ftime: () => new Date().toString(), // uWSGI formats it with logformat-strftime, which tsws ignores
  ctime: (r) => ctime(startMs(r)),
  time: (r) => Math.floor(startMs(r) / 1000),
  tmsecs: (r) => Math.floor(startMs(r)),
  tmicros: (r) => Math.floor(startMs(r) * 1000),
  epoch: () => Math.floor(Date.now() / 1000),
  request_id: (r) => r.requestId,
};

/** The variables a client chooses (or can put anything in): escaped for the line they go in. */
const FROM_CLIENT = new Set<LogFormatVar>(['addr', 'user', 'method', 'uri', 'proto', 'host', 'uagent', 'referer', 'request_id']);

/**
 * Compile a log-format string once (the config loader has already rejected unknown variables). A format that
 * is a JSON object gets JSON-escaped values (its own quotes around them); any other, control characters
 * escaped.
 */
export function compileFormat(format: string): LineFormatter {
  const escape = /^\s*\{/.test(format) ? jsonInner : textSafe;
  const parts: (string | ((r: RequestRecord) => string | number))[] = [];
  let last = 0;
  for (const m of format.matchAll(LOG_FORMAT_VAR_RE)) {
    const name = m[1];
    if (!isLogFormatVar(name)) throw new Error(`log-format: unknown variable %(${name}) (known: ${LOG_FORMAT_VARS.join(', ')})`);
    const v = VARS[name];
    const f = FROM_CLIENT.has(name) ? (r: RequestRecord) => escape(String(v(r))) : v;
    parts.push(format.slice(last, m.index), f);
    last = m.index! + m[0].length;
  }
  parts.push(format.slice(last));
  return (r) => parts.map((p) => (typeof p === 'string' ? p : String(p(r)))).join('');
}

/** The user name of a Basic Authorization header, or ''. */
export function basicUser(authorization: string | undefined): string {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!m) return '';
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(0, colon);
}

/** uWSGI's log-4xx/-5xx/-slow/-big/-zero: which requests are logged anyway when disable-logging is on. */
export interface LogAnyway {
  readonly status4xx: boolean;
  readonly status5xx: boolean;
  /** ms; 0 = off */
  readonly slowMs: number;
  /** bytes; 0 = off */
  readonly big: number;
  readonly zero: boolean;
}

export function logAnyway(o: LogAnyway): ((status: number, micros: number, bytes: number) => boolean) | null {
  if (!o.status4xx && !o.status5xx && !o.slowMs && !o.big && !o.zero) return null;
  return (status, micros, bytes) =>
    (o.status4xx && status >= 400 && status <= 499) ||
    (o.status5xx && status >= 500 && status <= 599) ||
    (o.slowMs > 0 && micros / 1000 >= o.slowMs) ||
    (o.big > 0 && bytes >= o.big) ||
    (o.zero && bytes === 0);
}
