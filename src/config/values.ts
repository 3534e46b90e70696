// Parsing of one option value by its registry type. Each parser returns the typed value or throws a
// ValueError saying what is wrong and what is accepted — uWSGI's atoi turns `processes = true` into 0
// workers without a word; tsws names the problem.
import type { OptionSpec } from './options.js';

export class ValueError extends Error {
  constructor(
    message: string,
    readonly accepted: string,
  ) {
    super(message);
  }
}

const TRUE = new Set(['', 'true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

export function parseBool(raw: string): boolean {
  const v = raw.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ValueError(`"${raw}" is not a boolean${commentHint(raw)}`, 'true/false, yes/no, on/off, 1/0, or the bare key for true');
}

export function parseCount(raw: string, min = 0): number {
  if (!/^\d+$/.test(raw)) {
    throw new ValueError(`"${raw}" is not a whole number${commentHint(raw)}`, `a whole number >= ${min}`);
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ValueError(`${raw} is out of range`, `a whole number >= ${min}`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `400` (in `unit`), `512k`, `400M`, `1.5G`, `1.5GiB`, `100MB` (binary multiples, as uWSGI and Node use). */
export function parseSize(raw: string, unit: 'MiB' | 'bytes' = 'MiB'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt])?(?:i?b)?$/i.exec(raw);
  const accepted = `a size: a bare number in ${unit}, or a number with k, M, G (e.g. 512k, 400M, 1.5G)`;
  if (!m) throw new ValueError(`"${raw}" is not a size${commentHint(raw)}`, accepted);
  const mult = m[2] ? SIZE_UNITS[m[2].toLowerCase()] : unit === 'MiB' ? SIZE_UNITS.m : 1;
  const bytes = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(bytes)) throw new ValueError(`${raw} is too large`, accepted);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds: `30`, `30s`, `500ms`, `2m`, `1h`, `1.5s`. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(raw);
  if (!m) {
    throw new ValueError(
      `"${raw}" is not a duration${commentHint(raw)}`,
      'seconds as a bare number, or a number with ms, s, m, h (e.g. 500ms, 30s, 2m)',
    );
  }
  const unit = (m[2] ?? 's').toLowerCase();
  // Divide for ms: 700 * 0.001 is 0.7000000000000001, 700 / 1000 is 0.7.
  return unit === 'ms' ? Number(m[1]) / 1000 : Number(m[1]) * DURATION_UNITS[unit];
}

export type Address = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** `host:port`, `:port` (all interfaces), `[::1]:port`, or a unix socket path (contains `/` or ends in .sock). */
export function parseAddress(raw: string): Address {
  const accepted = 'host:port, :port, [ipv6]:port, or a unix socket path such as /run/app.sock';
  if (raw.includes('/') || raw.endsWith('.sock')) return { kind: 'unix', path: raw };
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]*):(\d{1,5})$/.exec(raw);
  if (!m) throw new ValueError(`"${raw}" is not an address${commentHint(raw)}`, accepted);
  const port = Number(m[2]);
  if (port > 65535) throw new ValueError(`port ${port} is out of range`, accepted);
  let host = m[1];
  if (host.startsWith('[')) host = host.slice(1, -1);
  // `:8000` is uWSGI's "all interfaces"; Node binds `::` (dual stack) or 0.0.0.0 for an empty host.
  return { kind: 'tcp', host: host === '' ? '' : host, port };
}

export function formatAddress(a: Address): string {
  if (a.kind === 'unix') return a.path;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function parseOctal(raw: string): string {
  if (!/^0?[0-7]{3}$/.test(raw)) throw new ValueError(`"${raw}" is not an octal mode`, 'three octal digits, e.g. 022 or 660');
  return raw.padStart(4, '0');
}

function parseNonEmpty(raw: string, what: string): string {
  if (raw === '') throw new ValueError('the value is empty', what);
  return raw;
}

/** Parse `raw` as the option's type. Lists are parsed one value at a time by the caller. */
export function parseValue(s: OptionSpec, raw: string): boolean | number | string {
  switch (s.type) {
    case 'bool':
      return parseBool(raw);
    case 'count':
      if (s.auto && raw.toLowerCase() === 'auto') return s.auto.from();
      return parseCount(raw, s.min ?? 0);
    case 'size': {
      if (s.auto && raw.toLowerCase() === 'auto') return s.auto.from();
      const n = parseSize(raw, s.unit);
      if (s.min !== undefined && n < s.min) {
        throw new ValueError(`${raw} is below the minimum`, `at least ${s.min} bytes`);
      }
      return n;
    }
    case 'duration': {
      if (s.onMeans !== undefined && isOn(raw)) return s.onMeans;
      const n = parseDuration(raw);
      if (s.min !== undefined && n < s.min) throw new ValueError(`${raw} is below the minimum`, `at least ${s.min}s`);
      return n;
    }
    case 'address':
      parseAddress(raw); // validate now, keep the text: the config prints as the user wrote it
      return raw;
    case 'octal':
      return parseOctal(raw);
    case 'path':
      return parseNonEmpty(raw, 'a file or directory path');
    case 'string':
      return parseNonEmpty(raw, 'a non-empty value');
  }
}

function isOn(raw: string): boolean {
  try {
    return parseBool(raw);
  } catch {
    return false;
  }
}

// uWSGI has no inline comments: `processes = 4 ; four` is the value "4 ; four". Say so when it bites.
function commentHint(raw: string): string {
  return /\s[;#]/.test(raw) ? ' (uWSGI INI has no inline comments: put the comment on its own line)' : '';
}
