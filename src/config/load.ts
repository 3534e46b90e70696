// INI files + TSWS_* environment + command line → one validated, frozen Config, or every problem found.
// Precedence, lowest first: registry defaults < INI files in order < TSWS_* variables < command-line flags.
// Scalars: the last value wins. Lists (env, touch-reload, …) accumulate across all sources, in that order;
// `http` (perSource) accumulates within a source, and a later source replaces it.
// Then the registry's rules (fixed values, derived defaults, custom checks: rules.ts) apply to the result.
import { uwsgiAnswer } from './compat.js';
import { ConfigError, ConfigErrors, suggest } from './errors.js';
import { ExpandError, expandPlaceholders, placeholderNames, restoreLiteralPercent, type PlaceholderLookup } from './expand.js';
import { readIni, type IniEntry, type IniReader } from './ini.js';
import { allSpellings, lookupOption, normalizeKey, OPTION_NAMES, spec, type Config, type OptionName } from './options.js';
import { parseBool, parseValue, ValueError } from './values.js';
import { applyRules } from './rules.js';

/** One `key = value` from any source. INI values get %(placeholder) expansion; env and argv are literal. */
export interface Setting {
  readonly where: string;
  readonly key: string;
  readonly value: string;
  readonly expand: boolean;
}

export interface Sources {
  /** INI files named on the command line, in order (FILE or FILE:SECTION). */
  readonly iniSpecs: readonly string[];
  /** Command-line `--key value` pairs, in order. */
  readonly argv: readonly Setting[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface Loaded {
  readonly config: Config;
  readonly warnings: readonly string[];
  /** Where each option that differs from its default was last set. */
  readonly setBy: ReadonlyMap<OptionName, string>;
  /** What it was read from: a reload reads the same sources again. */
  readonly sources: Sources;
}

export function envSettings(env: NodeJS.ProcessEnv, warnings: string[]): Setting[] {
  const out: Setting[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('TSWS_') || v === undefined) continue;
    const key = k.slice(5).toLowerCase().replace(/_/g, '-');
    if (!lookupOption(key)) {
      const hint = suggest(key, allSpellings());
      warnings.push(`environment ${k}: not a tsws option, ignored${hint ? ` (did you mean TSWS_${hint.toUpperCase().replace(/-/g, '_')}?)` : ''}`);
      continue;
    }
    out.push({ where: `environment ${k}`, key, value: v, expand: false });
  }
  return out;
}

export function loadConfig(src: Sources): Loaded {
  const errors: ConfigError[] = [];
  const warnings: string[] = [];
  const reader: IniReader = {
    cwd: src.cwd,
    env: src.env,
    entries: [],
    errors,
    warnings,
    loaded: [],
    tested: [],
    // For `ini = %(dir)/other.ini`: the definitions read so far, resolved the same way as everywhere else.
    placeholder: (name) => resolver(definitions(reader.entries))(name),
  };
  const envIni = src.env.TSWS_INI;
  for (const spec of [...(envIni ? [envIni] : []), ...src.iniSpecs]) {
    readIni(spec, reader, envIni === spec ? 'environment TSWS_INI' : 'command line --ini');
  }
  const settings: Setting[] = [
    ...reader.entries.map((e: IniEntry) => ({ where: e.where, key: e.key, value: e.value, expand: true })),
    ...envSettings(src.env, warnings).filter((s) => s.key !== 'ini'),
    ...src.argv,
  ];

  // %(name) refers to an option, a set-ph, or a custom key; the last definition wins everywhere.
  const lookup = resolver(definitions(settings));
  const referenced = new Set([...settings.flatMap((s) => (s.expand ? placeholderNames(s.value) : [])), ...(reader.tested ?? [])]);
  const strict = settings.reduce((on, s) => (lookupOption(s.key) === 'strict' ? safeBool(s.value, on) : on), false);

  const values = new Map<OptionName, unknown>(OPTION_NAMES.map((n) => [n, spec(n).list ? [] : spec(n).default]));
  const setBy = new Map<OptionName, string>();
  // Which source each setting comes from (0 INI files, 1 TSWS_* variables, 2 command line), and which source
  // last set each `perSource` list: a later source starts it again.
  const envStart = reader.entries.length;
  const argvStart = settings.length - src.argv.length;
  const listSource = new Map<OptionName, number>();
  const firstInIni = new Map<OptionName, string>(); // for options set only once (`once`)
  const warnedKeys = new Set<string>();
  for (const [i, s] of settings.entries()) {
    const name = lookupOption(s.key);
    if (!name) {
      unknownKey(s, strict, referenced, errors, warnings, warnedKeys);
      continue;
    }
    if (name === 'ini') continue; // already read, spliced where it stood (the entry is kept for `referenced`)
    const opt = spec(name);
    if (opt.once && s.expand) {
      const first = firstInIni.get(name);
      if (first) errors.push(new ConfigError(s.where, s.key, `${name} is already set at ${first}`, opt.once));
      else firstInIni.set(name, s.where);
    }
    if (opt.perSource) {
      const source = i < envStart ? 0 : i < argvStart ? 1 : 2;
      if ((listSource.get(name) ?? source) !== source) values.set(name, []);
      listSource.set(name, source);
    }
    let raw = s.value;
    try {
      if (s.expand && !opt.rawPlaceholders) raw = expandPlaceholders(raw, lookup);
    } catch (e) {
      if (!(e instanceof ExpandError)) throw e;
      errors.push(new ConfigError(s.where, s.key, e.message, e.accepted));
      continue;
    }
    raw = restoreLiteralPercent(raw);
    if ((opt.type === 'string' || opt.type === 'path') && /\s[;#]/.test(raw) && !opt.rawPlaceholders) {
      warnings.push(`${s.where}: ${s.key}: "${raw}" looks like it ends in a comment; uWSGI INI has no inline comments, so it is part of the value`);
    }
    try {
      const v = parseValue(opt, raw);
      if (opt.keyValue && !/^[^=]+=/.test(raw)) throw new ValueError(`"${raw}" is not KEY=VALUE`, 'KEY=VALUE');
      // A list option with a separator takes several items in one value (`forwarded-allow-ips = a, b`).
      if (opt.list) (values.get(name) as unknown[]).push(...(opt.separator ? String(v).split(opt.separator).map((x) => x.trim()).filter((x) => x !== '') : [v]));
      else values.set(name, v);
      setBy.set(name, s.where);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      errors.push(new ConfigError(s.where, s.key, e.message, e.accepted));
    }
  }
  values.set('ini', reader.loaded);

  applyRules(values, setBy, errors, warnings);
  if (errors.length) throw new ConfigErrors(errors, warnings);
  const config = Object.freeze(Object.fromEntries(values)) as Config;
  return { config, warnings, setBy, sources: src };
}

/** `%(name)` → its value, placeholders inside it resolved too; a name that refers back to itself is an error. */
function resolver(defs: ReadonlyMap<string, string>): PlaceholderLookup {
  const cache = new Map<string, string>();
  const resolving: string[] = [];
  const lookup = (name: string): string | undefined => {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    const raw = defs.get(name) ?? defs.get(normalizeKey(name));
    if (raw === undefined) return undefined;
    if (resolving.includes(name)) throw new ExpandError(`placeholder cycle: ${[...resolving, name].join(' -> ')}`);
    resolving.push(name);
    try {
      const v = expandPlaceholders(raw, lookup);
      cache.set(name, v);
      return v;
    } finally {
      resolving.pop();
    }
  };
  return lookup;
}

/** Placeholder definitions from settings, last one winning: set-ph = name=value, and every key = value. */
function definitions(settings: readonly { key: string; value: string }[]): Map<string, string> {
  const defs = new Map<string, string>();
  for (const s of settings) {
    if (lookupOption(s.key) === 'set-ph') {
      const eq = s.value.indexOf('=');
      if (eq > 0) defs.set(s.value.slice(0, eq).trim(), s.value.slice(eq + 1).trim());
      continue;
    }
    defs.set(s.key, s.value);
    // An option is one placeholder under every spelling: `workers = 4` sets %(processes) too.
    const name = lookupOption(s.key);
    if (name) for (const n of [name, ...(spec(name).aliases ?? [])]) defs.set(n, s.value);
  }
  return defs;
}

function unknownKey(s: Setting, strict: boolean, referenced: Set<string>, errors: ConfigError[], warnings: string[], warned: Set<string>): void {
  const norm = normalizeKey(s.key);
  // Every real uWSGI option has an answer (compat.ts): ignored with its reason, or not supported with the way
  // forward. Only a name uWSGI does not have either is an "unknown key".
  const answer = uwsgiAnswer(norm);
  if (answer?.kind === 'ignored') {
    if (strict) errors.push(new ConfigError(s.where, s.key, `uWSGI option with no meaning in tsws: ${answer.text}`, 'remove it, or turn off strict'));
    else if (!warned.has(norm)) {
      warned.add(norm);
      warnings.push(`${s.where}: ${s.key}: ignored: ${answer.text}`);
    }
    return;
  }
  if (answer?.kind === 'unsupported') {
    errors.push(new ConfigError(s.where, s.key, 'not supported by tsws', answer.text));
    return;
  }
  // uWSGI treats any unknown key as a placeholder; tsws accepts one only where the file really uses it as
  // %(key), so a misspelt option is still caught. strict (as in uWSGI) wants set-ph for custom variables.
  if (s.expand && referenced.has(s.key) && !strict) return;
  const hint = suggest(norm, allSpellings());
  const where = s.where.startsWith('command line') ? 'option' : 'key';
  errors.push(
    new ConfigError(
      s.where,
      s.key,
      `unknown ${where}${hint ? ` (did you mean ${hint}?)` : ''}`,
      referenced.has(s.key) ? 'with strict on, define custom placeholders with set-ph = name=value' : 'see tsws --help or docs/options.md',
    ),
  );
}

function safeBool(raw: string, fallback: boolean): boolean {
  try {
    return parseBool(raw);
  } catch {
    return fallback; // reported when the setting itself is parsed
  }
}

/** `app.ini:7: key: problem`: a problem with an option, at the line that set it. */
export function configProblem(loaded: Loaded, key: keyof Config, problem: string): string {
  const where = loaded.setBy.get(key) ?? 'configuration';
  return `${where}: ${key}: ${problem}`;
}
