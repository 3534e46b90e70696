// The uWSGI expansion passes, in uWSGI's order: magic variables (%d, %n, …) when a file is read, then $(ENV),
// then @(file), then %(placeholders) once every file is read. Unlike uWSGI, a name that cannot be resolved
// is an error, not silently empty (%z) or left as literal text ($(NOPE), %(nope)).
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { cpus, hostname, userInfo } from 'node:os';
import { basename, dirname, extname, resolve, sep } from 'node:path';
import { VERSION } from '../version.js';

/** `%%` becomes this private-use character until the last pass, so that `%%(x)` stays the literal `%(x)`. */
const LITERAL_PERCENT = '\uE000';

export class ExpandError extends Error {
  constructor(
    message: string,
    readonly accepted?: string,
  ) {
    // A message quotes the value it is about: it shows `%`, never the internal marker.
    super(restoreLiteralPercent(message));
  }
}

export function restoreLiteralPercent(value: string): string {
  return value.replaceAll(LITERAL_PERCENT, '%');
}

export interface FileInfo {
  /** Absolute path of the file the value was read from. */
  readonly path: string;
  /** The name as it was given (`%o`). */
  readonly given: string;
  /** Section being read (`%x`). */
  readonly section: string;
}

const START_CWD = process.cwd();
const START_TIME = Date.now();

function magicTable(file: FileInfo): Record<string, () => string> {
  const dir = dirname(file.path);
  const parts = dir.split(sep).filter(Boolean);
  const table: Record<string, () => string> = {
    p: () => file.path,
    d: () => dir + (dir.endsWith(sep) ? '' : sep), // with the trailing slash, as uWSGI
    s: () => basename(file.path),
    n: () => basename(file.path, extname(file.path)),
    e: () => extname(file.path).slice(1),
    c: () => basename(dir),
    x: () => file.section,
    o: () => file.given,
    i: () => String(statSync(file.path).ino),
    k: () => String(cpus().length),
    h: () => hostname(),
    v: () => START_CWD,
    t: () => String(Math.floor(START_TIME / 1000)),
    T: () => String(START_TIME * 1000),
    u: () => String(process.getuid?.() ?? ''),
    U: () => userInfo().username,
    g: () => String(process.getgid?.() ?? ''),
    V: () => VERSION,
    b: () => process.argv[1] ?? '',
    '[': () => '\x1b',
  };
  for (let i = 0; i <= 9; i++) table[String(i)] = () => parts[i] ?? '';
  return table;
}

const MAGIC_ACCEPTED = 'known: %p %d %s %n %e %c %x %o %i %k %h %v %t %T %u %U %g %G %V %b %0-%9, and %% for a literal %';

export function expandMagic(value: string, file: FileInfo): string {
  if (!value.includes('%')) return value;
  const table = magicTable(file);
  return value.replace(/%([\s\S]?)/g, (all, c: string) => {
    if (c === '%') return LITERAL_PERCENT;
    if (c === '(') return all; // a placeholder, for the last pass
    if (c === 'G') return groupName();
    const f = table[c];
    if (!f) {
      const what = c === '' ? 'a lone % at the end of the value' : /\s/.test(c) ? 'a lone % before a space' : `unknown magic variable %${c}`;
      throw new ExpandError(what, MAGIC_ACCEPTED);
    }
    return f();
  });
}

function groupName(): string {
  const gid = process.getgid?.();
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(gid));
    return line?.split(':')[0] ?? String(gid ?? '');
  } catch {
    return String(gid ?? '');
  }
}

export function expandEnv(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\(([^)]*)\)/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new ExpandError(`$(${name}) is not set in the environment`, 'define it, or remove the reference');
    return v;
  });
}

/**
 * `@(path)`: the contents of a file, relative to the directory of the INI file; `@(exec://command)`: the output
 * of a shell command, run in that directory. One trailing newline removed from either. A `%%` in the path or
 * command is a literal `%` here (`date +%%Y`), as uWSGI's magic pass leaves it.
 *
 * Trust: exec:// runs whatever the file says, with tsws's privileges, at every read of the configuration
 * (start, reload, --print-config, --check), exactly as uWSGI does. An INI file is as trusted as the command
 * line: keep it writable by its owner only.
 */
export function expandFileRefs(value: string, baseDir: string): string {
  return value.replace(/@\(([^)]*)\)/g, (_, ref: string) => {
    const p = restoreLiteralPercent(ref);
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(p)?.[1].toLowerCase();
    if (scheme === 'exec') return runCommand(p.slice('exec://'.length), baseDir);
    if (scheme) {
      throw new ExpandError(`@(${p}): the ${scheme}:// source is not supported by tsws`, '@(file) or @(exec://command), e.g. @(exec://curl -fsS URL)');
    }
    try {
      return readFileSync(resolve(baseDir, p), 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new ExpandError(`@(${p}) cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  });
}

/** Longest an @(exec://…) command may run: a hung command must not hang the start or a reload. */
const EXEC_TIMEOUT_MS = 30_000;

function runCommand(command: string, cwd: string): string {
  try {
    const out = execFileSync('/bin/sh', ['-c', command], { cwd, encoding: 'utf8', timeout: EXEC_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
    return out.replace(/\r?\n$/, '');
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { status?: number | null; signal?: string | null; stderr?: string };
    const why =
      err.code === 'ETIMEDOUT' || err.signal === 'SIGTERM' ? `did not finish within ${EXEC_TIMEOUT_MS / 1000}s`
      : typeof err.status === 'number' ? `exited with status ${err.status}${err.stderr?.trim() ? `: ${err.stderr.trim().split('\n')[0]}` : ''}`
      : String(err.code ?? err.message);
    throw new ExpandError(`@(exec://${command}) failed: ${why}`, 'a command that prints the value and exits 0');
  }
}

export type PlaceholderLookup = (name: string) => string | undefined;

/** `%(name)` and uWSGI's left-to-right math `%(name + 2 * x)`. */
export function expandPlaceholders(value: string, lookup: PlaceholderLookup): string {
  return value.replace(/%\(([^)]*)\)/g, (_, inner: string) => evaluate(inner.trim(), lookup));
}

export function placeholderNames(value: string): string[] {
  const names: string[] = [];
  for (const m of value.matchAll(/%\(([^)]*)\)/g)) {
    for (const token of m[1].trim().split(/\s+/)) if (!OPERATORS.has(token) && !isNumber(token)) names.push(token);
  }
  return names;
}

const OPERATORS = new Set(['+', '-', '*', '/', '++', '--']);
const isNumber = (s: string) => /^-?\d+(\.\d+)?$/.test(s);

function evaluate(expr: string, lookup: PlaceholderLookup): string {
  if (expr === '') throw new ExpandError('empty placeholder %()', '%(name) or %(name + 1)');
  const tokens = expr.split(/\s+/);
  const operand = (t: string): string => {
    const v = lookup(t);
    if (v !== undefined) return v;
    if (isNumber(t) && tokens.length > 1) return t;
    const accepted = t === '_' ? '%(_) is set inside for/endfor and if-*/endif blocks only' : 'an option set before or after it, or set-ph = name=value';
    throw new ExpandError(`placeholder %(${t}) is not defined`, accepted);
  };
  let acc = operand(tokens[0]);
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '++' || t === '--') {
      acc = String(num(acc, expr) + (t === '++' ? 1 : -1));
    } else if (OPERATORS.has(t)) {
      const rhs = tokens[++i];
      if (rhs === undefined) throw new ExpandError(`"${expr}" ends with an operator`, 'spaces around + - * /');
      const a = num(acc, expr);
      const b = num(operand(rhs), expr);
      if (t === '/' && b === 0) throw new ExpandError(`division by zero in %(${expr})`, 'a divisor other than 0');
      acc = String(t === '+' ? a + b : t === '-' ? a - b : t === '*' ? a * b : Math.trunc(a / b));
    } else {
      acc += operand(t); // adjacent items without an operator are concatenated, as in uWSGI
    }
  }
  return acc;
}

function num(v: string, expr: string): number {
  if (!isNumber(v)) throw new ExpandError(`"${v}" in %(${expr}) is not a number`, 'numbers around + - * /');
  return Number(v);
}
