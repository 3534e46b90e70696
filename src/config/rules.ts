// What the registry declares about an option beyond its type, applied here to every option alike, so that
// no part of tsws re-implements an option's behaviour where it reads the value: fixed values, derived
// defaults and custom checks when a configuration is loaded; required options before serving from one.
import { ConfigError } from './errors.js';
import { OPTION_NAMES, spec, type Config, type OptionName } from './options.js';

/** The registry's checks and derivations take loose parameter types (see options.ts); the values are Config's. */
type Check = (value: unknown, config: Config) => readonly { problem: string; accepted: string }[];
type Derive = (config: Config) => number;
type Advise = (value: unknown) => string | null;

/**
 * After every source has been read: fixed values put back (with a warning, so that --print-config shows what
 * tsws will do), then unset derived values filled in, then each advice (a warning) and custom check run, in
 * registry order.
 */
export function applyRules(values: Map<OptionName, unknown>, setBy: ReadonlyMap<OptionName, string>, errors: ConfigError[], warnings: string[]): void {
  const config = () => Object.fromEntries(values) as Config;
  for (const name of OPTION_NAMES) {
    const fixed = spec(name).fixed;
    const v = values.get(name);
    if (!fixed || !setBy.has(name) || v === fixed.value) continue;
    warnings.push(`${setBy.get(name)}: ${name}: ${fixed.why}; "${String(v)}" is ignored${fixed.hint ? ` (${fixed.hint})` : ''}`);
    values.set(name, fixed.value);
  }
  for (const name of OPTION_NAMES) {
    const derived = spec(name).derived;
    if (derived && values.get(name) === null) values.set(name, (derived.from as Derive)(config()));
  }
  for (const name of OPTION_NAMES) {
    const advice = (spec(name).advise as Advise | undefined)?.(values.get(name));
    if (advice) warnings.push(`${setBy.get(name) ?? 'configuration'}: ${name}: ${advice}`);
  }
  for (const name of OPTION_NAMES) {
    const check = spec(name).check as Check | undefined;
    if (!check) continue;
    for (const p of check(values.get(name), config())) errors.push(new ConfigError(setBy.get(name) ?? 'configuration', name, p.problem, p.accepted));
  }
}

/**
 * Options serving cannot start without (--print-config can), as `configuration: module: required (module =
 * path/to/app.js)`. `listening`: a listening socket is given instead of an address (systemd socket
 * activation; --check, which cannot know, passes true and warns itself).
 */
export function missingRequired(config: Config, listening: boolean): ConfigError[] {
  const missing: ConfigError[] = [];
  for (const name of OPTION_NAMES) {
    const required = spec(name).required;
    const value = config[name];
    const set = Array.isArray(value) ? value.length > 0 : value !== null;
    if (!required || set || (required.unlessListening && listening)) continue;
    missing.push(new ConfigError('configuration', name, 'required', `${name} = ${required.example}`));
  }
  return missing;
}
