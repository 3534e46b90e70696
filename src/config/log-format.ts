// The vocabulary of log-format: the %(var) names tsws knows. It lives with the configuration, not the router,
// so that the loader can reject a typo with its FILE:LINE without importing the router; the router's
// logline.ts implements exactly these names (its table is typed by LogFormatVar, so a name added here
// without an implementation there does not compile). Every one of uWSGI's request-log variables is either
// here or in UNSUPPORTED_FORMAT_VARS with the reason (core/logging.c uwsgi_register_logchunks).

/** uWSGI's request-line variables that tsws fills, in the order the error message lists them. */
export const LOG_FORMAT_VARS = [
  'addr', 'user', 'method', 'uri', 'proto', 'status', 'size', 'rsize', 'hsize', 'headers', 'cl', 'msecs', 'micros', 'secs',
  'wid', 'pid', 'host', 'uagent', 'referer', 'ltime', 'ftime', 'ctime', 'time', 'tmsecs', 'tmicros', 'epoch',
  // tsws's own: the request id (request-id = true; '' without it).
  'request_id',
] as const;

export type LogFormatVar = (typeof LOG_FORMAT_VARS)[number];

const CGI = 'uWSGI counts the CGI-style variables of its uwsgi protocol; a Node request has headers, not CGI vars';
const MEMORY = 'worker memory is sampled by the master every master-interval, not per request: see the stats server';

/** uWSGI's variables that tsws does not fill, each with why. */
export const UNSUPPORTED_FORMAT_VARS: Readonly<Record<string, string>> = {
  vars: CGI,
  pktsize: `${CGI} (the size of the uwsgi packet)`,
  modifier1: 'uwsgi protocol modifiers do not exist in HTTP',
  modifier2: 'uwsgi protocol modifiers do not exist in HTTP',
  switches: 'async switches are uWSGI\'s coroutine count; a Node worker has no such counter',
  rss: MEMORY,
  vsz: MEMORY,
  rssM: MEMORY,
  vszM: MEMORY,
  core: 'a Node worker serves its concurrent requests on one thread (threads is concurrency), so there is no core number',
  rerr: 'read errors end the request: it is logged with status 499 (client gone) or 4xx',
  werr: 'write errors end the request: it is logged with status 499 (client gone)',
  ioerr: 'read and write errors end the request: it is logged with status 499 (client gone)',
};

/** `%(name)`: one variable reference in a log-format. */
export const LOG_FORMAT_VAR_RE = /%\(([^)]*)\)/g;

export function isLogFormatVar(name: string): name is LogFormatVar {
  return (LOG_FORMAT_VARS as readonly string[]).includes(name);
}

/** The %(var) names of a log-format that tsws does not fill. */
export function unknownFormatVars(format: string): string[] {
  return [...format.matchAll(LOG_FORMAT_VAR_RE)].map((m) => m[1]).filter((name) => !isLogFormatVar(name));
}

/** Why a %(var) cannot be used: a uWSGI variable tsws does not fill, uWSGI's var.X / metric.X, or a typo. */
export function formatVarProblem(name: string): { problem: string; accepted: string } {
  const known = `known: ${LOG_FORMAT_VARS.map((v) => `%(${v})`).join(' ')}`;
  if (Object.hasOwn(UNSUPPORTED_FORMAT_VARS, name)) return { problem: `%(${name}) is not supported by tsws: ${UNSUPPORTED_FORMAT_VARS[name]}`, accepted: known };
  if (name.startsWith('var.')) return { problem: `%(${name}) is not supported by tsws: ${CGI}`, accepted: known };
  if (name.startsWith('metric.')) return { problem: `%(${name}) is not supported by tsws: uWSGI metrics are not implemented`, accepted: known };
  return { problem: `unknown variable %(${name})`, accepted: known };
}

/**
 * log-encoder's value as tsws applies it. uWSGI's form is `NAME[:LOGGER] [ARGS]` (`json:default {"msg":"${msg}"}`,
 * `format ${msg}`, `nl`); tsws has two encoders, text and json with fixed fields, so any `json…` means json
 * and the rest text (encoderAdvice says what is dropped).
 */
export function logEncoder(value: string | null): 'json' | 'text' {
  return value !== null && /^json(?:$|[:\s])/.test(value.trim()) ? 'json' : 'text';
}

/** Why a log-encoder value is not applied as written, or null. */
export function encoderAdvice(value: string | null): string | null {
  if (value === null) return null;
  const v = value.trim();
  if (v === 'json' || v === 'text') return null;
  if (logEncoder(v) === 'json') return `tsws's JSON lines have fixed fields (docs/observability.md): the logger name and template of "${v}" are ignored`;
  return `tsws's encoders are text and json: "${v}" is ignored and lines stay text`;
}
