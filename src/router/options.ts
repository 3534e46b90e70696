// The router's slice of the configuration: what it reads of the options, in the units it works in. A reload
// hands the router a fresh one (Router.configure), so the master only wires the two together.
import { logEncoder } from '../config/log-format.js';
import type { Config } from '../config/options.js';
import * as log from '../log.js';
import { autoMaxConnections } from '../sys/fdlimit.js';
import type { BodyLimits } from './body.js';
import { compileFormat, defaultFormat, jsonFormat, logAnyway, type LineFormatter } from './logline.js';

export interface RouterOptions extends BodyLimits {
  /** Requests one worker serves at once. */
  readonly threads: number;
  /** Longest queue of requests waiting for a slot. */
  readonly listen: number;
  /** Longest wait for a slot, and for a worker's response headers (ms). */
  readonly httpTimeoutMs: number;
  /** A request running longer is answered 504 and its worker recycled (ms; 0 = off). */
  readonly harakiriMs: number;
  readonly maxHeaderSize: number;
  /** Longest time to receive a request's headers (ms): slow clients are cut off with 408. */
  readonly headersTimeoutMs: number;
  /** Longest pause between two reads of a request body (ms): a stalled upload gets 408. */
  readonly bodyTimeoutMs: number;
  /** How long an idle client connection stays open (ms): above the idle timeout of any proxy in front. */
  readonly keepAliveMs: number;
  /** Most client connections open at once; a new one beyond gets 503 (idle ones are closed first). */
  readonly maxConnections: number;
  readonly forwardedAllow: ReadonlySet<string>;
  /** request-id: its header as configured and lower-case ('' = off); server-timing. */
  readonly requestIdHeader?: string;
  readonly requestIdLower?: string;
  readonly serverTiming?: boolean;
  /** null: no request lines. */
  readonly logLine: LineFormatter | null;
  /** With disable-logging, the requests logged anyway (log-4xx, log-5xx, log-slow, log-big, log-zero); null: all. */
  readonly logOnly?: ((status: number, micros: number, bodyBytes: number) => boolean) | null;
  readonly log: (line: string) => void;
  /** Lifecycle warnings (an internal error with its stack, accept failures). */
  readonly warn: (line: string) => void;
}

/** The router's options from a configuration; request bodies beyond post-buffering spool to `runtimeDir`. */
export function routerOptionsFrom(cfg: Config, runtimeDir: string): RouterOptions {
  return {
    postBuffering: cfg['post-buffering'],
    limitPost: cfg['limit-post'],
    spoolDir: runtimeDir,
    bodyTimeoutMs: cfg['http-body-timeout'] * 1000,
    maxConnections: cfg['http-max-connections'] || autoMaxConnections(cfg.processes, cfg.threads),
    warn: log.warn,
    threads: cfg.threads,
    listen: cfg.listen,
    httpTimeoutMs: cfg['http-timeout'] * 1000,
    harakiriMs: cfg.harakiri * 1000,
    maxHeaderSize: cfg['buffer-size'],
    headersTimeoutMs: cfg['http-headers-timeout'] * 1000,
    keepAliveMs: cfg['http-keepalive'] * 1000,
    // One address per item: the loader has split comma-separated values (the option's separator).
    forwardedAllow: new Set(cfg['forwarded-allow-ips']),
    requestIdHeader: cfg['request-id'] ? (cfg['request-id-header'] ?? 'X-Request-Id') : '',
    requestIdLower: cfg['request-id'] ? (cfg['request-id-header'] ?? 'X-Request-Id').toLowerCase() : '',
    serverTiming: cfg['server-timing'],
    ...requestLog(cfg),
    log: log.requestLine,
  };
}

/** uWSGI's rule: disable-logging turns request lines off, except for the requests a log-* option names. */
function requestLog(cfg: Config): Pick<RouterOptions, 'logLine' | 'logOnly'> {
  const format = cfg['log-format'];
  const line = format ? compileFormat(format) : logEncoder(cfg['log-encoder']) === 'json' ? jsonFormat : defaultFormat;
  if (!cfg['disable-logging']) return { logLine: line, logOnly: null };
  const only = logAnyway({
    status4xx: cfg['log-4xx'], status5xx: cfg['log-5xx'], slowMs: cfg['log-slow'], big: cfg['log-big'], zero: cfg['log-zero'],
  });
  return { logLine: only ? line : null, logOnly: only };
}
