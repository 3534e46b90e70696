// The uWSGI INI dialect (uwsgi-semantics.md §1, core/ini.c) → an ordered list of entries, each with its file,
// line and section. The `ini` npm package cannot be used: it keeps only the last of repeated keys (uWSGI
// files repeat `env =`), cuts values at `#` and `;` (URLs, colours) and loses the order across keys;
// see docs/configuration.md.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import {
  ExpandError,
  expandEnv,
  expandFileRefs,
  expandMagic,
  expandPlaceholders,
  restoreLiteralPercent,
  type FileInfo,
  type PlaceholderLookup,
} from './expand.js';
import { closesBlock, evaluateIf, isElse, isLoop, loopValues, opensBlock, type BlockContext } from './logic.js';
import { lookupOption, normalizeKey } from './options.js';

export interface IniEntry {
  /** `FILE:LINE`, for messages. */
  readonly where: string;
  readonly file: FileInfo;
  readonly key: string;
  /** After magic variables, $(ENV) and @(file); %(placeholders) are resolved by the loader. */
  readonly value: string;
}

export interface IniReader {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Entries in file order, includes spliced in where they stand (after their own `ini =` entry). */
  readonly entries: IniEntry[];
  readonly errors: ConfigError[];
  readonly warnings: string[];
  /** Every file loaded, as `path:section`, in load order. */
  readonly loaded: string[];
  /** Placeholders known so far, for `ini = %(dir)/other.ini`. */
  readonly placeholder: PlaceholderLookup;
  /** Names an `if-opt` block tested: a custom key tested there is used, as one used as %(key) is. */
  readonly tested?: string[];
}

/** The default sections: uWSGI's `[uwsgi]`, and `[tsws]` for files written for tsws. */
export const DEFAULT_SECTIONS = ['uwsgi', 'tsws'];

/** The `:uwsgi|tsws` ending of a default-sections include id, left out of messages. */
const DEFAULT_ID = new RegExp(`:${DEFAULT_SECTIONS.join('\\|')}$`);

/** Path relative to the current directory when it is below it, for short messages. */
export function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** `file.ini`, `file.ini:section`, or `:section` (another section of the current file). */
export function splitIniSpec(spec: string): { path: string; section: string | null } {
  const i = spec.lastIndexOf(':');
  if (i >= 0 && !spec.slice(i + 1).includes('/')) {
    return { path: spec.slice(0, i), section: spec.slice(i + 1) || null };
  }
  return { path: spec, section: null };
}

/**
 * Read one INI file (or one section of it) into `r.entries`.
 * @param where  where the file was named, for errors: `command line --ini` or the including FILE:LINE.
 * @param from   the including file, whose directory relative includes resolve against (uWSGI uses the CWD).
 */
export function readIni(spec: string, r: IniReader, where: string, from?: FileInfo, stack: string[] = []): void {
  // uWSGI also loads configurations from http://, exec://, fd:// … sources; resolving one as a path would
  // look for `http:/host/x.ini` (a mangled path) instead of saying what is wrong.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec)?.[1];
  if (scheme) {
    r.errors.push(new ConfigError(where, 'ini', `loading an INI from ${scheme}:// is not supported by tsws`, 'fetch it to a file first (e.g. ExecStartPre=curl -o FILE URL) and name the file'));
    return;
  }
  if (/\.(xml|ya?ml|json|js|sqlite3?|ldap)$/i.test(spec)) {
    r.errors.push(new ConfigError(where, 'ini', `${spec}: tsws reads INI files only`, 'convert it to an INI [uwsgi] section'));
    return;
  }
  const { path: given, section } = splitIniSpec(spec);
  if (given === '' && !from) {
    r.errors.push(new ConfigError(where, 'ini', `"${spec}" names a section but no file`, 'FILE, FILE:SECTION, or :SECTION inside a file'));
    return;
  }
  const path = given === '' ? from!.path : resolve(from ? dirname(from.path) : r.cwd, given);
  const wanted = section ? [section] : DEFAULT_SECTIONS;
  const id = `${path}:${wanted.join('|')}`;
  const show = displayPath(path, r.cwd);
  if (stack.includes(id)) {
    // Show `file.ini` for the default sections and `file.ini:section` for a named one.
    const chain = [...stack, id].map((s) => displayPath(s.replace(DEFAULT_ID, ''), r.cwd)).join(' -> ');
    r.errors.push(new ConfigError(where, 'ini', `include cycle: ${chain}`));
    return;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(code ?? e);
    r.errors.push(new ConfigError(where, 'ini', `cannot read ${show}: ${why}`, 'an existing INI file, relative to the including file'));
    return;
  }

  const loadedAt = r.loaded.push(section ? `${path}:${section}` : path) - 1;
  let current: string | null = null;
  const seen: string[] = [];
  let found = false;
  // A UTF-8 byte order mark (Windows editors) would otherwise hide the first [section] header.
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const logic: BlockContext = {
    dir: dirname(path),
    env: r.env,
    placeholder: (n) => {
      r.tested?.push(n);
      return r.placeholder(n);
    },
  };
  let block: OpenBlock | null = null;
  for (let n = 0; n < lines.length; n++) {
    // uWSGI trims space, tab and \r at both ends; a comment is a line whose first character is ; or #.
    const line = lines[n].replace(/^[ \t\r]+|[ \t\r]+$/g, '');
    if (line === '' || line[0] === ';' || line[0] === '#') continue;
    const at = `${show}:${n + 1}`;
    if (line[0] === '[') {
      if (!line.endsWith(']')) {
        r.errors.push(new ConfigError(at, null, `section header "${line}" has no closing ]`, '[section]'));
        current = null;
        continue;
      }
      current = line.slice(1, -1).trim();
      seen.push(current);
      if (wanted.includes(current)) found = true;
      continue;
    }
    if (current === null) {
      r.warnings.push(`${at}: "${line}" is outside any section and is ignored`);
      continue;
    }
    if (!wanted.includes(current)) continue;

    // key = value; both sides trimmed; a bare key means `key = ""`, which is true for booleans.
    // No inline comments and no quote removal: uWSGI keeps both as part of the value.
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (key === '') {
      r.errors.push(new ConfigError(at, null, `"${line}" has no key before =`, 'key = value'));
      continue;
    }
    const file: FileInfo = { path, given: given || from!.given, section: current };
    const norm = normalizeKey(key);
    if (block) {
      if (closesBlock(norm)) {
        replay(block, (l, underscore) => entry(l.at, l.file, l.key, l.raw, underscore));
        block = null;
      } else if (isElse(norm) && !block.loop) block.inElse = true;
      else if (opensBlock(norm) || isElse(norm)) {
        r.errors.push(new ConfigError(at, key, `${key} inside the ${block.key} block of ${block.at}: blocks do not nest in uWSGI`, `close it with endif/endfor first`));
      } else block.lines.push({ at, file, key, raw, inElse: block.inElse });
      continue;
    }
    if (opensBlock(norm)) {
      block = openBlock(at, file, key, norm, raw);
      continue;
    }
    if (closesBlock(norm) || isElse(norm)) {
      r.errors.push(new ConfigError(at, key, 'no block is open here', 'if-env/if-exists/if-opt/… or for … then this'));
      continue;
    }
    entry(at, file, key, raw);
  }
  if (block) r.errors.push(new ConfigError(block.at, block.key, `block not closed in ${show}`, block.loop ? 'endfor =' : 'endif ='));
  if (!found) {
    const has = seen.length ? `it has ${[...new Set(seen)].map((s) => `[${s}]`).join(', ')}` : 'it has no sections';
    const want = wanted.map((s) => `[${s}]`).join(' or ');
    r.errors.push(new ConfigError(where, 'ini', `no ${want} section in ${show}; ${has}`, 'FILE:SECTION to read another section'));
    r.loaded.splice(loadedAt, 1);
  }

  /** A block-opening line: its condition or loop values now, from the options read so far (uWSGI: "immediate"). */
  function openBlock(at: string, file: FileInfo, key: string, norm: string, raw: string): OpenBlock {
    const b: OpenBlock = { at, key, loop: isLoop(norm), lines: [], inElse: false, holds: false, underscore: '', values: [] };
    try {
      const value = expandFileRefs(expandEnv(expandMagic(raw, file), r.env), dirname(path));
      if (b.loop) b.values = loopValues(norm, restoreLiteralPercent(value), logic);
      else Object.assign(b, evaluateIf(norm, restoreLiteralPercent(value), logic));
    } catch (e) {
      if (!(e instanceof ExpandError)) throw e;
      r.errors.push(new ConfigError(at, key, e.message, e.accepted)); // and the block's lines are skipped
    }
    return b;
  }

  /** One `key = value`: expanded (magic, %(_) of its block, $(ENV), @(file)), then kept or included. */
  function entry(at: string, file: FileInfo, key: string, raw: string, underscore?: string): void {
    let value: string;
    try {
      const magic = expandMagic(raw, file);
      value = expandFileRefs(expandEnv(underscore === undefined ? magic : magic.replaceAll('%(_)', underscore), r.env), dirname(path));
    } catch (e) {
      if (!(e instanceof ExpandError)) throw e;
      r.errors.push(new ConfigError(at, key, e.message, e.accepted));
      return;
    }
    if (lookupOption(key) === 'ini') {
      // Included files are spliced in here, where the `ini =` line stands ("top-bottom, expand asap").
      // The include line itself is kept too (the loader skips it), so that a custom key used only here,
      // `ini = %(confdir)/common.ini`, counts as used as a placeholder.
      r.entries.push({ where: at, file, key, value });
      let includeSpec: string;
      try {
        includeSpec = restoreLiteralPercent(expandPlaceholders(value, r.placeholder));
      } catch (e) {
        if (!(e instanceof ExpandError)) throw e;
        r.errors.push(new ConfigError(at, key, e.message, e.accepted));
        return;
      }
      readIni(includeSpec, r, at, file, [...stack, id]);
      return;
    }
    r.entries.push({ where: at, file, key, value });
  }
}

interface BlockLine {
  readonly at: string;
  readonly file: FileInfo;
  readonly key: string;
  readonly raw: string;
  /** After an `else`: applies when the condition does not hold. */
  readonly inElse: boolean;
}

interface OpenBlock {
  readonly at: string;
  readonly key: string;
  readonly loop: boolean;
  readonly lines: BlockLine[];
  inElse: boolean;
  /** if-*: whether the condition holds, and its %(_) */
  holds: boolean;
  underscore: string;
  /** for*: the values of %(_) */
  values: string[];
}

/**
 * Replay a closed block's lines: an if-* block's lines (or its else part) once, a for block's each line once
 * per value (uWSGI loops line by line: `for = a b` over two lines gives line1 a, line1 b, line2 a, line2 b).
 */
function replay(b: OpenBlock, emit: (l: BlockLine, underscore: string) => void): void {
  for (const l of b.lines) {
    if (b.loop) for (const v of b.values) emit(l, v);
    else if (l.inElse !== b.holds) emit(l, b.underscore);
  }
}
