// Loading a configuration from text in a test: `[uwsgi]\n` + body as app.ini in a fresh directory, with files
// beside it, TSWS_* variables and command-line flags; and the messages of one that must fail.
import assert from 'node:assert/strict';
import { ConfigErrors } from '../../src/config/errors.js';
import { loadConfig, type Loaded, type Setting } from '../../src/config/load.js';
import { writeTree } from './files.js';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Command-line flags, `--key value` each; an array repeats the flag. */
  argv?: Record<string, string | string[]>;
  /** Files beside app.ini. */
  more?: Record<string, string>;
  /** The INI specs on the command line (default: app.ini, or none for a null body). */
  specs?: string[];
}

export const argvSettings = (argv: Record<string, string | string[]>): Setting[] =>
  Object.entries(argv).flatMap(([k, v]) => ([] as string[]).concat(v).map((value) => ({ where: `command line --${k}`, key: k, value, expand: false })));

/** Load `[uwsgi]\n` + body as app.ini (null: no app.ini). */
export function loadIni(body: string | null, o: LoadOptions = {}): Loaded {
  const dir = writeTree({ ...(body === null ? {} : { 'app.ini': `[uwsgi]\n${body}` }), ...o.more });
  return loadConfig({ iniSpecs: o.specs ?? (body === null ? [] : ['app.ini']), argv: argvSettings(o.argv ?? {}), env: o.env ?? {}, cwd: dir });
}

/** The error messages (and warnings) of a load that must fail. */
export function loadFailure(body: string | null, o: LoadOptions = {}): { errors: string[]; warnings: readonly string[] } {
  try {
    loadIni(body, o);
  } catch (e) {
    if (e instanceof ConfigErrors) return { errors: e.errors.map((x) => x.message), warnings: e.warnings };
    throw e;
  }
  assert.fail('expected configuration errors');
}
