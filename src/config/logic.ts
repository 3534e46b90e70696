// uWSGI's configuration logic (docs: ConfigLogic): `if-*` … `endif` and `for*` … `endfor` blocks, each
// setting the placeholder %(_) for the lines inside. This file decides what a block-opening line means (is the
// condition true, what does the loop iterate over); ini.ts collects the block's lines and replays them.
// As in uWSGI, blocks do not nest (uWSGI exits on "recursive logic"); tsws reports it at the line instead.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { ExpandError, type PlaceholderLookup } from './expand.js';

/** Block-opening keys (normalized), with uWSGI's older spellings. */
const IF_KEYS = new Set([
  'if-env', 'ifenv', 'if-not-env', 'if-exists', 'ifexists', 'if-not-exists', 'if-file', 'if-not-file', 'if-dir', 'ifdir',
  'if-directory', 'if-not-dir', 'if-opt', 'if-not-opt', 'if-plugin', 'ifplugin', 'if-not-plugin', 'if-hostname',
  'if-not-hostname', 'if-hostname-match', 'if-not-hostname-match', 'if-reload', 'if-not-reload',
]);
const FOR_KEYS = new Set(['for', 'for-glob', 'for-readline', 'for-times']);
const END_KEYS = new Set(['endif', 'end-if', 'endfor', 'end-for']);

export const opensBlock = (key: string): boolean => IF_KEYS.has(key) || FOR_KEYS.has(key);
/** Any end closes the open block: uWSGI has one logic slot, whatever the end is called. */
export const closesBlock = (key: string): boolean => END_KEYS.has(key);
export const isElse = (key: string): boolean => key === 'else';
export const isLoop = (key: string): boolean => FOR_KEYS.has(key);

export interface BlockContext {
  /** The INI file's directory: relative paths in a condition resolve against it, as includes do. */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Options and placeholders set so far (if-opt). */
  readonly placeholder: PlaceholderLookup;
}

/** An `if-*` line: whether its lines apply, and the %(_) they see. */
export function evaluateIf(key: string, value: string, ctx: BlockContext): { holds: boolean; underscore: string } {
  const negated = key.startsWith('if-not-');
  const kind = key.replace(/^if-not-|^if-|^if/, '');
  const [name, wanted] = splitNameValue(value);
  let found: string | undefined; // the value the condition found, when it holds
  switch (kind) {
    case 'env':
      found = ctx.env[name];
      break;
    case 'exists':
    case 'file':
    case 'dir':
    case 'directory': {
      const p = resolve(ctx.dir, value);
      const st = existsSync(p) ? statSync(p) : null;
      found = st && (kind === 'exists' || (kind === 'file' ? st.isFile() : st.isDirectory())) ? value : undefined;
      return { holds: negated ? found === undefined : found !== undefined, underscore: value };
    }
    case 'opt':
      found = ctx.placeholder(name);
      break;
    case 'plugin':
      found = undefined; // tsws has no plugins: HTTP and the Node app loader are built in
      break;
    case 'hostname':
      found = hostname() === value ? value : undefined;
      break;
    case 'hostname-match':
      found = safeRegExp(value).test(hostname()) ? hostname() : undefined;
      break;
    case 'reload':
      throw new ExpandError('not supported by tsws: tsws reads the same configuration at start and on a reload', 'remove the block, or use if-env');
    default:
      throw new ExpandError(`unknown block ${key}`);
  }
  const holds = found !== undefined && (wanted === undefined || found === wanted);
  // uWSGI: %(_) is the value found; in an if-not-* block (nothing found) it is the name tested.
  return negated ? { holds: !holds, underscore: name } : { holds, underscore: found ?? '' };
}

/** A `for*` line: the values %(_) takes, in order. */
export function loopValues(key: string, value: string, ctx: BlockContext): string[] {
  switch (key) {
    case 'for':
      return value.split(/\s+/).filter(Boolean);
    case 'for-times': {
      if (!/^\d+$/.test(value)) throw new ExpandError(`"${value}" is not a whole number`, 'for-times = N iterates 1..N');
      return Array.from({ length: Number(value) }, (_, i) => String(i + 1));
    }
    case 'for-readline':
      try {
        return readFileSync(resolve(ctx.dir, value), 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
      } catch (e) {
        throw new ExpandError(`${value} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    case 'for-glob':
      return glob(value, ctx.dir);
    default:
      throw new ExpandError(`unknown block ${key}`);
  }
}

/** `NAME=value` → [NAME, value]; `NAME` → [NAME, undefined]. */
function splitNameValue(v: string): [string, string | undefined] {
  const eq = v.indexOf('=');
  return eq < 0 ? [v, undefined] : [v.slice(0, eq), v.slice(eq + 1)];
}

function safeRegExp(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    throw new ExpandError(`"${source}" is not a regular expression`);
  }
}

/** Wildcards (* ? [..]) in the last path component only: enough for `for-glob = /etc/app/*.ini`. */
function glob(pattern: string, dir: string): string[] {
  const full = resolve(dir, pattern);
  const parent = dirname(full);
  if (/[*?[]/.test(parent)) throw new ExpandError(`"${pattern}": tsws expands wildcards in the last path component only`, 'DIR/*.ext');
  const re = new RegExp(`^${basename(full).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n) && !n.startsWith('.')).sort().map((n) => resolve(parent, n));
}
