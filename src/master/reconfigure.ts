// A reload reads the configuration again, from the same INI files, TSWS_* variables and flags, as gunicorn's
// HUP does (uWSGI re-executes itself for the same effect, dropping requests through its http router). Options
// the registry marks `reload` take their new value; the others (the socket, privileges, the pidfile, the
// stats server…) need a restart: they keep their running value and the log says so. A configuration with
// errors changes nothing: the reload is refused, as `nginx -s reload` refuses a broken file.
import { ConfigErrors } from '../config/errors.js';
import { loadConfig, type Loaded, type Sources } from '../config/load.js';
import { missingRequired } from '../config/rules.js';
import { OPTION_NAMES, spec, type Config, type OptionName } from '../config/options.js';
import { resolveModule } from './spawner.js';

export interface Reread {
  /** What to run with: new values of the reloadable options, running values of the others. */
  readonly config: Config;
  readonly loaded: Loaded;
  /** Reloadable options whose value changed. */
  readonly applied: readonly OptionName[];
  /** One line per changed option that only a restart can apply. */
  readonly needRestart: readonly string[];
}

/** A value as the log shows it. */
export function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Throws ConfigErrors, with every problem found, when the configuration no longer loads. */
export function reread(running: Config, sources: Sources): Reread {
  const loaded = loadConfig(sources);
  const next: Record<string, unknown> = {};
  const applied: OptionName[] = [];
  const needRestart: string[] = [];
  for (const name of OPTION_NAMES) {
    const now = loaded.config[name];
    if (same(now, running[name])) {
      next[name] = running[name];
    } else if (spec(name).reload) {
      next[name] = now;
      applied.push(name);
    } else {
      next[name] = running[name];
      const where = loaded.setBy.get(name);
      const change = where ? `${where}: ${name} changed to ${show(now)}` : `configuration: ${name} is no longer set (default ${show(now)})`;
      needRestart.push(`${change}: a restart applies it; still ${show(running[name])}`);
    }
  }
  const config = Object.freeze(next) as Config;
  // The listening socket is kept across a reload, so only what the new workers need can be missing.
  const missing = missingRequired(config, true);
  if (missing.length) throw new ConfigErrors(missing, loaded.warnings);
  return { config, loaded, applied, needRestart };
}

/**
 * reread(), then the module resolved and `checks` run on the new configuration (limits a fresh worker already
 * exceeds, the container's memory fit): the new configuration and module, or every problem found.
 */
export function rereadChecked(
  running: Config,
  sources: Sources,
  checks: (config: Config, setBy: ReadonlyMap<string, string>) => string[],
): { r: Reread; modulePath: string } | { errors: string[] } {
  try {
    const r = reread(running, sources);
    const m = resolveModule(r.config.module!, r.loaded); // reread() refuses a configuration without one
    const errors = [...('problem' in m ? [m.problem] : []), ...checks(r.config, r.loaded.setBy)];
    return errors.length || 'problem' in m ? { errors } : { r, modulePath: m.path };
  } catch (e) {
    return { errors: e instanceof ConfigErrors ? e.errors.map((x) => x.message) : [String((e as Error)?.message ?? e)] };
  }
}
