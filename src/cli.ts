// argv → command: serve (default), --print-config, --check, --reload/--stop PIDFILE, `top ADDRESS`, --help, --version.
// yargs parses; the option registry declares every flag, and the config loader validates every value, so
// a bad --processes gets the same message as a bad `processes =` line.
import yargs from 'yargs';
import { ConfigErrors, EX_CONFIG, suggest } from './config/errors.js';
import { loadConfig, type Loaded, type Setting } from './config/load.js';
import { optionsMarkdown, showDefault, typeText } from './config/docs.js';
import { allSpellings, GROUP_TITLES, lookupOption, OPTION_NAMES, spec } from './config/options.js';
import { VERSION } from './version.js';

/** Flags that are commands, not options. */
const COMMAND_FLAGS = ['print-config', 'check', 'reload', 'stop', 'options-markdown', 'help', 'version'];

export async function main(args: string[]): Promise<number> {
  if (args[0] === 'top') {
    const { runTop } = await import('./stats/top.js');
    return runTop(args.slice(1));
  }
  const y = buildParser(args);
  const argv = await y.parseAsync();
  if (argv['options-markdown']) {
    process.stdout.write(optionsMarkdown());
    return 0;
  }
  if (typeof argv.stop === 'string' || typeof argv.reload === 'string') {
    const { controlCommand } = await import('./cli/control-client.js');
    return controlCommand(typeof argv.stop === 'string' ? 'stop' : 'reload', (argv.stop ?? argv.reload) as string);
  }

  const loaded = loadFromArgv(argv);
  if (typeof loaded === 'number') return loaded;
  if (argv['print-config']) {
    for (const w of loaded.warnings) process.stderr.write(`tsws: warning: ${w}\n`);
    process.stdout.write(JSON.stringify(loaded.config, null, 2) + '\n');
    return 0;
  }
  const { checkConfig, serve } = await import('./cli/serve.js');
  return argv.check ? checkConfig(loaded) : serve(loaded);
}

function buildParser(args: string[]) {
  const y = yargs(args)
    .scriptName('tsws')
    .usage('Usage: tsws --ini FILE[:SECTION] [--OPTION VALUE ...]\n       tsws FILE.ini\n       tsws top ADDRESS')
    .parserConfiguration({
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'boolean-negation': false,
      'duplicate-arguments-array': true,
      'greedy-arrays': false,
      'strip-aliased': true,
    })
    .wrap(Math.min(120, process.stdout.columns || 100))
    .version(VERSION)
    .help('help')
    .alias('help', 'h')
    .epilogue('Every option can also be set in an INI file (key = value) or as TSWS_<NAME> in the environment.\nDocs: docs/options.md, docs/configuration.md');
  for (const name of OPTION_NAMES) {
    const s = spec(name);
    // No yargs `type`: values stay the strings the user typed and the registry parses them; the help line
    // shows the registry's type and default instead of yargs' [string].
    const def = showDefault(s);
    y.option(name, {
      array: s.list === true,
      alias: [...(s.aliases ?? []), ...(s.short ? [s.short] : [])],
      describe: `${s.help} [${typeText(s)}${def === '(unset)' || def === '(none)' ? '' : `, default ${def}`}]`,
      group: `${GROUP_TITLES[s.group]}:`,
    });
  }
  y.option('print-config', { type: 'boolean', describe: 'Print the resolved configuration as JSON and exit', group: 'Commands:' })
    .option('check', { type: 'boolean', describe: 'Check the configuration and the app module\'s path, then exit: 0, or 78 with every error (like nginx -t)', group: 'Commands:' })
    .option('reload', { type: 'string', describe: 'Gracefully chain-reload the tsws whose master pid is in PIDFILE', group: 'Commands:' })
    .option('stop', { type: 'string', describe: 'Gracefully stop the tsws whose master pid is in PIDFILE, and wait', group: 'Commands:' })
    .option('options-markdown', { type: 'boolean', hidden: true });
  return y;
}

/** Turn parsed argv into config sources and load; a number is the exit code of a failure already reported. */
function loadFromArgv(argv: Record<string, unknown>): Loaded | number {
  const problems: string[] = [];
  const iniSpecs: string[] = [];
  const settings: Setting[] = [];
  for (const p of (argv._ as unknown[]).map(String)) {
    if (/\.ini(:[^/]*)?$/.test(p)) iniSpecs.push(p); // `tsws app.ini`, as `uwsgi app.ini`
    else problems.push(`command line: unexpected argument "${p}" (an INI file ends in .ini; options start with --)`);
  }
  for (const [flag, raw] of Object.entries(argv)) {
    if (flag === '_' || flag === '$0' || COMMAND_FLAGS.includes(flag)) continue;
    const name = lookupOption(flag);
    if (!name) {
      const hint = suggest(flag, allSpellings());
      problems.push(`command line --${flag}: unknown option${hint ? ` (did you mean --${hint}?)` : ''} (see tsws --help)`);
      continue;
    }
    const values = ([] as unknown[]).concat(raw).map((v) => (v === undefined || v === null ? '' : String(v)));
    if (name === 'ini') iniSpecs.push(...values);
    else for (const value of values) settings.push({ where: `command line --${flag}`, key: flag, value, expand: false });
  }
  if (iniSpecs.length === 0 && !process.env.TSWS_INI && !argv['print-config'] && settings.length === 0) {
    problems.push('command line: no configuration: give --ini FILE (try: tsws --ini samples/hello.ini, or tsws --help)');
  }
  let loaded: Loaded | undefined;
  try {
    loaded = loadConfig({ iniSpecs, argv: settings, env: process.env, cwd: process.cwd() });
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    problems.push(...e.errors.map((err) => err.message));
    for (const w of e.warnings) process.stderr.write(`tsws: warning: ${w}\n`);
  }
  if (!loaded || problems.length) {
    for (const p of problems) process.stderr.write(`tsws: ${p}\n`);
    process.stderr.write(`tsws: ${problems.length} configuration error${problems.length === 1 ? '' : 's'}; nothing was started\n`);
    return EX_CONFIG;
  }
  return loaded;
}
