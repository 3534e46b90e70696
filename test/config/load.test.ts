// Sources → one frozen Config: precedence, lists, placeholders, unknown keys, strict, and error collection.
import { describe, it } from 'node:test';
import { loadFailure, loadIni } from '../helpers/config.js';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { ConfigErrors, suggest, EX_CONFIG } from '../../src/config/errors.js';
import { envSettings } from '../../src/config/load.js';
import { allSpellings, lookupOption, normalizeKey, OPTION_NAMES, spec } from '../../src/config/options.js';
import { IGNORED, UNSUPPORTED } from '../../src/config/compat.js';


const load = loadIni;
const fail = loadFailure;

describe('registry', () => {
  it('gives every option a type, a group, a one-line help and a default of the right shape', () => {
    for (const name of OPTION_NAMES) {
      const s = spec(name);
      assert.ok(s.help.length > 0 && !s.help.includes('\n') && !s.help.endsWith('.'), `${name}: help is one line without a final period`);
      if (s.list) assert.deepEqual(s.default, [], `${name}: a list defaults to []`);
      assert.equal(name, name.toLowerCase(), `${name}: names are lower-case`);
      assert.ok(!name.includes('_'), `${name}: names use dashes`);
    }
  });
  it('never declares the same spelling twice, nor an ignored or unsupported uWSGI key', () => {
    const spellings = OPTION_NAMES.flatMap((n) => [n, ...(spec(n).aliases ?? [])]);
    assert.equal(new Set(spellings).size, spellings.length);
    for (const s of spellings) {
      assert.ok(!(s in IGNORED), `${s} is both an option and ignored`);
      assert.ok(!(s in UNSUPPORTED), `${s} is both an option and unsupported`);
    }
    assert.deepEqual(new Set(allSpellings()), new Set(spellings));
  });
  it('folds underscores and resolves aliases', () => {
    assert.equal(normalizeKey('max_requests'), 'max-requests');
    assert.equal(lookupOption('max_requests'), 'max-requests');
    assert.equal(lookupOption('worker_reload_mercy'), 'worker-reload-mercy');
    assert.equal(lookupOption('workers'), 'processes');
    assert.equal(lookupOption('http_socket'), 'http');
    assert.equal(lookupOption('set-placeholder'), 'set-ph');
    assert.equal(lookupOption('Processes'), undefined, 'keys are case-sensitive, as in uWSGI');
    assert.equal(lookupOption('p'), undefined, 'short flags are for the command line only');
  });
});

describe('suggest', () => {
  it('finds the closest spelling, counting a swapped pair as one edit', () => {
    assert.equal(suggest('procesess', allSpellings()), 'processes');
    assert.equal(suggest('thraeds', allSpellings()), 'threads');
    assert.equal(suggest('harakri', allSpellings()), 'harakiri');
    assert.equal(suggest('bogus-option', allSpellings()), undefined);
    assert.equal(suggest('x', ['processes']), undefined);
  });
  it('uses sysexits EX_CONFIG', () => {
    assert.equal(EX_CONFIG, 78);
  });
});

describe('loadConfig', () => {
  it('gives the registry defaults with no source at all, frozen', () => {
    const { config, warnings, setBy } = load(null);
    for (const name of OPTION_NAMES) {
      if (name === 'max-requests-jitter') continue; // derived: a tenth of max-requests
      assert.deepEqual(config[name], spec(name).default, name);
    }
    assert.equal(config['max-requests-jitter'], 0);
    assert.ok(Object.isFrozen(config));
    assert.deepEqual(warnings, []);
    assert.equal(setBy.size, 0);
  });

  it('keeps the defaults tsws chose on purpose: min-worker-lifetime 0, buffer-size 16k', () => {
    const { config } = load(null);
    assert.equal(config['min-worker-lifetime'], 0);
    assert.equal(config['buffer-size'], 16384);
    assert.equal(config['need-app'], true);
  });

  it('types every value: counts, sizes, durations, booleans', () => {
    const { config } = load('processes = 4\nbuffer-size = 32k\nhttp-timeout = 500ms\nworker-reload-mercy = 2m\nvacuum\nneed-app = off\n');
    assert.equal(config.processes, 4);
    assert.equal(config['buffer-size'], 32768);
    assert.equal(config['http-timeout'], 0.5);
    assert.equal(config['worker-reload-mercy'], 120);
    assert.equal(config.vacuum, true);
    assert.equal(config['need-app'], false);
  });

  it('lets the last scalar win and keeps every list value in order', () => {
    const { config, setBy } = load('processes = 2\nenv = A=1\nprocesses = 3\nenv = B=2\nenv = A=3\n');
    assert.equal(config.processes, 3);
    assert.deepEqual(config.env, ['A=1', 'B=2', 'A=3']);
    assert.equal(setBy.get('processes'), 'app.ini:4');
  });

  it('ranks defaults < INI < TSWS_* environment < command line', () => {
    const body = 'processes = 2\nthreads = 2\nlisten = 50\n';
    const { config, setBy } = load(body, { env: { TSWS_PROCESSES: '4', TSWS_THREADS: '3' }, argv: { threads: '5' } });
    assert.equal(config.listen, 50);
    assert.equal(config.processes, 4);
    assert.equal(config.threads, 5);
    assert.equal(setBy.get('processes'), 'environment TSWS_PROCESSES');
    assert.equal(setBy.get('threads'), 'command line --threads');
  });

  it('accumulates lists across INI, environment and command line, in that order', () => {
    const { config } = load('env = X=ini\n', { env: { TSWS_ENV: 'X=env' }, argv: { env: ['X=argv1', 'X=argv2'] } });
    assert.deepEqual(config.env, ['X=ini', 'X=env', 'X=argv1', 'X=argv2']);
  });

  it('reads TSWS_INI before the command-line INI files', () => {
    const { config } = load('processes = 2\n', { env: { TSWS_INI: 'env.ini' }, specs: ['app.ini'], more: { 'env.ini': '[uwsgi]\nprocesses = 9\nthreads = 7\n' } });
    assert.equal(config.processes, 2);
    assert.equal(config.threads, 7);
  });

  it('warns about an unknown TSWS_ variable, with a suggestion', () => {
    const warnings: string[] = [];
    assert.deepEqual(envSettings({ TSWS_PROCESES: '2', TSWS_HTTP_TIMEOUT: '3', HOME: '/x' }, warnings), [
      { where: 'environment TSWS_HTTP_TIMEOUT', key: 'http-timeout', value: '3', expand: false },
    ]);
    assert.deepEqual(warnings, ['environment TSWS_PROCESES: not a tsws option, ignored (did you mean TSWS_PROCESSES?)']);
  });

  it('does not expand placeholders in environment and command-line values', () => {
    const { config } = load('set-ph = x=1\n', { env: { TSWS_MODULE: '%(x).js' }, argv: { chdir: '%(x)' } });
    assert.equal(config.module, '%(x).js');
    assert.equal(config.chdir, '%(x)');
  });

  it('accepts underscores and aliases in INI keys', () => {
    const { config } = load('worker_reload_mercy = 30\nworkers = 3\nhttp-socket = :8080\nset_placeholder = a=b\n');
    assert.equal(config['worker-reload-mercy'], 30);
    assert.equal(config.processes, 3);
    assert.deepEqual(config.http, [':8080']);
    assert.deepEqual(config['set-ph'], ['a=b']);
  });

  it('lists the INI files read, includes and sections too', () => {
    const { config } = load('ini = inc.ini\nini = :more\n[more]\n', { more: { 'inc.ini': '[tsws]\n' } });
    const dir = dirname(config.ini[0]);
    assert.deepEqual(config.ini, [join(dir, 'app.ini'), join(dir, 'inc.ini'), `${join(dir, 'app.ini')}:more`]);
  });
});

describe('loadConfig: placeholders', () => {
  it('resolves set-ph, options, aliases and custom keys, with math', () => {
    const { config } = load(
      'set-ph = project=mysite\nbase_dir = /srv\nchdir = %(base_dir)/%(project)\nprocesses = 4\nthreads = %(processes + 2)\nlisten = %(workers * 8)\nworkers = 4\n',
    );
    assert.equal(config.chdir, '/srv/mysite');
    assert.equal(config.threads, 6);
    assert.equal(config.listen, 32);
  });

  it('takes the LAST definition of a name (uWSGI takes the first)', () => {
    const { config } = load('set-ph = tier=first\nenv = TIER=%(tier)\nset-ph = tier=last\nprocesses = 2\nthreads = %(processes)\nprocesses = 5\n');
    assert.deepEqual(config.env, ['TIER=last']);
    assert.equal(config.threads, 5);
  });

  it('sees values from every source: a TSWS_* variable or flag overrides what %(name) gives', () => {
    const { config } = load('processes = 2\nthreads = %(processes)\n', { argv: { processes: '7' } });
    assert.equal(config.threads, 7);
  });

  it('resolves placeholders inside placeholders, and %(name) with an underscore spelling', () => {
    const { config } = load('set-ph = a=%(b)/x\nset-ph = b=%(c)\nset-ph = c=root\nchdir = /%(a)\nhttp_timeout = 9\nworker-reload-mercy = %(http-timeout)\n');
    assert.equal(config.chdir, '/root/x');
    assert.equal(config['worker-reload-mercy'], 9);
  });

  it('resolves nested placeholders in an include line', () => {
    const { config } = load('base = conf\ndir = %(base)/sub\nini = %(dir)/inc.ini\n', { more: { 'conf/sub/inc.ini': '[uwsgi]\nthreads = 3\n' } });
    assert.equal(config.threads, 3);
  });

  it('keeps %(...) of log-format for the logger', () => {
    const { config } = load('log-format = %(addr) %(method) %(uri) %(status)\n');
    assert.equal(config['log-format'], '%(addr) %(method) %(uri) %(status)');
  });

  it('reads http-keepalive as seconds, and uWSGI\'s switch forms (bare, true, 1) as on with the default', () => {
    assert.equal(load('http-keepalive = 30\n').config['http-keepalive'], 30);
    assert.equal(load('http-keepalive = 90s\n').config['http-keepalive'], 90);
    for (const on of ['http-keepalive\n', 'http-keepalive = true\n', 'http-keepalive = 1\n']) assert.equal(load(on).config['http-keepalive'], 75, on);
    assert.match(fail('http-keepalive = 0\n').errors[0], /^app\.ini:2: http-keepalive: 0 is below the minimum \(at least 1s\)/);
  });

  it('rejects an unknown log-format variable with its line, instead of failing when the router compiles it', () => {
    assert.match(fail('log-format = %(addr) %(bogus)\n').errors[0], /^app\.ini:2: log-format: unknown variable %\(bogus\) \(known: %\(addr\) .*%\(uri\)/);
  });

  it('reports an undefined placeholder and a placeholder cycle', () => {
    assert.deepEqual(fail('module = %(nope).js\n').errors, [
      'app.ini:2: module: placeholder %(nope) is not defined (an option set before or after it, or set-ph = name=value)',
    ]);
    assert.deepEqual(fail('set-ph = a=%(a)\n').errors, ['app.ini:2: set-ph: placeholder cycle: a -> a']);
  });
});

describe('loadConfig: unknown keys and strict', () => {
  it('rejects an unknown key, suggesting the option meant', () => {
    assert.deepEqual(fail('procesess = 4\nbogus-option = 1\n').errors, [
      'app.ini:2: procesess: unknown key (did you mean processes?) (see tsws --help or docs/options.md)',
      'app.ini:3: bogus-option: unknown key (see tsws --help or docs/options.md)',
    ]);
  });

  it('accepts a custom key only where it is used as %(key)', () => {
    const { config } = load('app_dir = /srv/app\nchdir = %(app_dir)\n');
    assert.equal(config.chdir, '/srv/app');
  });

  it('accepts a custom key used only in an include line', () => {
    const { config } = load('conf_dir = conf\nini = %(conf_dir)/inc.ini\n', { more: { 'conf/inc.ini': '[uwsgi]\nthreads = 3\n' } });
    assert.equal(config.threads, 3);
  });

  it('with strict, rejects custom keys even when used, and ignored uWSGI keys', () => {
    assert.deepEqual(fail('strict = true\napp_dir = /srv/app\nchdir = %(app_dir)\nvirtualenv = /venv\nset-ph = ok=1\n').errors, [
      'app.ini:3: app_dir: unknown key (with strict on, define custom placeholders with set-ph = name=value)',
      'app.ini:5: virtualenv: uWSGI option with no meaning in tsws: Python-specific: tsws runs Node.js apps (remove it, or turn off strict)',
    ]);
  });

  it('turns strict on from any source, even after the keys it judges', () => {
    assert.equal(fail('app_dir = /srv/app\nchdir = %(app_dir)\n', { env: { TSWS_STRICT: 'yes' } }).errors.length, 1);
    assert.equal(fail('app_dir = /srv/app\nchdir = %(app_dir)\nstrict\n').errors.length, 1);
  });

  it('warns once per ignored key and still loads', () => {
    const { warnings, config } = load('plugins = python3\nplugins = http\nenable-threads = true\nprocesses = 2\n');
    assert.deepEqual(warnings, [
      'app.ini:2: plugins: ignored: tsws has no plugins: HTTP and the Node app loader are built in',
      'app.ini:4: enable-threads: ignored: a Node worker needs no GIL switch; `threads` sets its concurrency',
    ]);
    assert.equal(config.processes, 2);
  });

  it('rejects unsupported uWSGI keys with the way forward', () => {
    assert.deepEqual(fail('socket = /run/app.sock\ncheaper = 2\n').errors, [
      'app.ini:2: socket: not supported by tsws (the uwsgi binary protocol is not spoken by tsws: use http = ADDRESS and proxy_pass from nginx)',
      'app.ini:3: cheaper: not supported by tsws (adaptive process spawning is not implemented: set processes, and use SIGTTIN/SIGTTOU or the fifo)',
    ]);
  });

  it('accepts the recycling limits: max_requests, reload-on-rss = 1G, harakiri = 30', () => {
    const c = load('max_requests = 1000\nreload-on-rss = 1G\nharakiri = 30\n').config;
    assert.equal(c['max-requests'], 1000);
    assert.equal(c['reload-on-rss'], 1073741824);
    assert.equal(c.harakiri, 30);
  });

  it('warns that master and die-on-term cannot be turned off', () => {
    assert.deepEqual(load('master = false\ndie-on-term = no\n').warnings, [
      'app.ini:2: master: tsws always runs a master; "false" is ignored',
      'app.ini:3: die-on-term: SIGTERM always stops tsws gracefully; "false" is ignored (use SIGHUP to reload)',
    ]);
  });
});

describe('loadConfig: errors', () => {
  it('collects every problem of every source in one ConfigErrors', () => {
    const { errors, warnings } = fail('processes = true\nthreads = 4 ; four\nplugins = python3\nenv = $(NOPE)\nenv = NOVALUE\n', {
      env: { TSWS_LISTEN: '0' },
      argv: { 'http-timeout': 'soon' },
    });
    assert.deepEqual(errors, [
      'app.ini:5: env: $(NOPE) is not set in the environment (define it, or remove the reference)',
      'app.ini:2: processes: "true" is not a whole number (a whole number >= 1)',
      'app.ini:3: threads: "4 ; four" is not a whole number (uWSGI INI has no inline comments: put the comment on its own line) (a whole number >= 1)',
      'app.ini:6: env: "NOVALUE" is not KEY=VALUE (KEY=VALUE)',
      'environment TSWS_LISTEN: listen: 0 is out of range (a whole number >= 1)',
      'command line --http-timeout: http-timeout: "soon" is not a duration (seconds as a bare number, or a number with ms, s, m, h (e.g. 500ms, 30s, 2m))',
    ]);
    assert.deepEqual(warnings, ['app.ini:4: plugins: ignored: tsws has no plugins: HTTP and the Node app loader are built in']);
  });

  it('reports a missing INI file', () => {
    assert.deepEqual(fail(null, { specs: ['nope.ini'] }).errors, [
      'command line --ini: ini: cannot read nope.ini: no such file (an existing INI file, relative to the including file)',
    ]);
  });

  it('exposes where, key, problem and accepted on each error', () => {
    try {
      load('processes = 0\n');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof ConfigErrors);
      const [err] = e.errors;
      assert.deepEqual([err.where, err.key, err.problem, err.accepted], ['app.ini:2', 'processes', '0 is out of range', 'a whole number >= 1']);
    }
  });
});

describe('loadConfig: include lines', () => {
  it('reports only the placeholder error of a broken include line, not its custom key as unknown', () => {
    assert.deepEqual(fail('conf_dir = conf\nini = %(conf_dir)/%(nope).ini\n').errors, [
      'app.ini:3: ini: placeholder %(nope) is not defined (an option set before or after it, or set-ph = name=value)',
    ]);
  });

  it('resolves an include line with the definitions above it only', () => {
    assert.deepEqual(fail('ini = %(conf_dir)/inc.ini\nconf_dir = conf\n').errors, [
      'app.ini:2: ini: placeholder %(conf_dir) is not defined (an option set before or after it, or set-ph = name=value)',
    ]);
  });
});
