// Issue 17: the uWSGI dialect as real files use it. Each construct and each bug the corpus found, one by one:
// configuration logic blocks, @(file)/@(exec://), the %% escape, answers for real uWSGI options, hints, the
// Python module path, log-format variables, prototype keys, `ini = http://…`, two http addresses, the
// inline-comment hint for booleans, division by zero, req-logger's values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { requestLogFile } from '../../src/config/req-logger.js';
import { loadFailure, loadIni, type LoadOptions } from '../helpers/config.js';

const load = loadIni;
/** The error messages of a load that must fail. */
const fail = (body: string, o: LoadOptions = {}): string[] => loadFailure(body, o).errors;

describe('configuration logic blocks', () => {
  it('if-env applies its lines when the variable is set, with %(_) its value', () => {
    const body = 'if-env = PORT\nhttp = :%(_)\nendif =\nprocesses = 2\n';
    assert.deepEqual(load(body, { env: { PORT: '9001' } }).config.http, [':9001']);
    assert.deepEqual(load(body + 'http = :8000\n').config.http, [':8000']);
  });
  it('if-env = NAME=value compares the value', () => {
    const body = 'if-env = MODE=prod\nprocesses = 8\nendif =\n';
    assert.equal(load(body, { env: { MODE: 'prod' } }).config.processes, 8);
    assert.equal(load(body, { env: { MODE: 'dev' } }).config.processes, 1);
  });
  it('if-not-env applies when the variable is unset, with %(_) the name', () => {
    const body = 'if-not-env = WORKERS\nprocesses = 3\nset-ph = tested=%(_)\nendif =\n';
    const { config } = load(body);
    assert.equal(config.processes, 3);
    assert.deepEqual(config['set-ph'], ['tested=WORKERS']);
    assert.equal(load(body, { env: { WORKERS: '5' } }).config.processes, 1);
  });
  it('if-exists / if-not-exists / if-file / if-dir test paths relative to the INI file', () => {
    const more = { 'here.txt': 'x', 'sub/keep': '' };
    const c = load(
      'if-exists = here.txt\nprocesses = 2\nendif =\nif-not-exists = nope.txt\nthreads = 3\nendif =\n' +
        'if-file = sub\nlisten = 7\nendif =\nif-dir = sub\nchdir = %(_)\nendif =\n',
      { more },
    ).config;
    assert.deepEqual([c.processes, c.threads, c.listen, c.chdir], [2, 3, 100, 'sub']);
  });
  it('if-opt sees the options set before it, with %(_) their value', () => {
    const c = load('websocket_enabled = True\nif-opt = websocket_enabled=True\nprocesses = 4\nendif =\nif-opt = threads\nlisten = 9\nendif =\nif-opt = processes\nset-ph = p=%(_)\nendif =\n').config;
    assert.equal(c.processes, 4);
    assert.equal(c.listen, 100, 'threads was not set before the block');
    assert.deepEqual(c['set-ph'], ['p=4']);
  });
  it('if-plugin never holds (tsws has no plugins); if-hostname compares the host name', () => {
    const c = load(`if-plugin = python3\nprocesses = 9\nendif =\nif-not-plugin = python3\nthreads = 2\nendif =\nif-hostname = ${hostname()}\nlisten = 11\nendif =\n`).config;
    assert.deepEqual([c.processes, c.threads, c.listen], [1, 2, 11]);
  });
  it('else flips an if block', () => {
    assert.equal(load('if-env = NOPE\nprocesses = 2\nelse =\nprocesses = 3\nendif =\n').config.processes, 3);
  });
  it('for repeats each line per value, line by line as uWSGI does', () => {
    const c = load('for = a b\nenv = X_%(_)=1\ntouch-reload = /tmp/%(_)\nendfor =\n').config;
    assert.deepEqual(c.env, ['X_a=1', 'X_b=1']);
    assert.deepEqual(c['touch-reload'], ['/tmp/a', '/tmp/b']);
  });
  it('for-times, for-readline and for-glob', () => {
    const more = { 'list.txt': 'one\n\ntwo\n', 'conf.d/a.env': '', 'conf.d/b.env': '', 'conf.d/c.txt': '' };
    const c = load('for-times = 3\nenv = N%(_)=x\nendfor =\nfor-readline = list.txt\nenv = L=%(_)\nendfor =\nfor-glob = conf.d/*.env\ntouch-reload = %(_)\nend-for =\n', { more }).config;
    assert.deepEqual(c.env, ['N1=x', 'N2=x', 'N3=x', 'L=one', 'L=two']);
    assert.deepEqual(c['touch-reload'].map((p) => p.split('/').slice(-2).join('/')), ['conf.d/a.env', 'conf.d/b.env']);
  });
  it('reports nesting, an unclosed block and a stray endif at their lines', () => {
    assert.deepEqual(fail('if-env = A\nif-env = B\nendif =\n'), [
      'app.ini:3: if-env: if-env inside the if-env block of app.ini:2: blocks do not nest in uWSGI (close it with endif/endfor first)',
    ]);
    assert.deepEqual(fail('for = a b\nenv = X=%(_)\n'), ['app.ini:2: for: block not closed in app.ini (endfor =)']);
    assert.deepEqual(fail('endif =\n'), ['app.ini:2: endif: no block is open here (if-env/if-exists/if-opt/… or for … then this)']);
  });
  it('says where %(_) is defined when it is used outside a block', () => {
    assert.deepEqual(fail('http = :%(_)\n'), ['app.ini:2: http: placeholder %(_) is not defined (%(_) is set inside for/endfor and if-*/endif blocks only)']);
  });
  it('answers if-reload instead of guessing', () => {
    assert.match(fail('if-reload =\nprocesses = 2\nendif =\n')[0], /if-reload: not supported by tsws/);
  });
});

describe('@() and the %% escape', () => {
  it('@(file) with %% reads the file whose name has a literal %', () => {
    assert.deepEqual(load('env = X=@(a%%b.txt)\n', { more: { 'a%b.txt': 'x\n' } }).config.env, ['X=x']);
  });
  it('@(exec://cmd) inserts the output of a shell command, run in the INI file\'s directory', () => {
    assert.deepEqual(load('env = D=@(exec://printf %%s ok; cat here.txt)\n', { more: { 'here.txt': '!\n' } }).config.env, ['D=ok!']);
  });
  it('@(exec://cmd) that fails is an error naming the command, never a path', () => {
    assert.deepEqual(fail('env = D=@(exec://exit 3)\n'), ['app.ini:2: env: @(exec://exit 3) failed: exited with status 3 (a command that prints the value and exits 0)']);
  });
  it('other @() schemes are answered as unsupported', () => {
    assert.match(fail('env = D=@(http://example.com/x)\n')[0], /the http:\/\/ source is not supported by tsws/);
  });
  it('a missing @(file) message shows %, not the internal marker', () => {
    const [msg] = fail('env = X=@(no%%pe.txt)\n');
    assert.equal(msg, 'app.ini:2: env: @(no%pe.txt) cannot be read: ENOENT');
    assert.ok(!/[\uE000-\uF8FF]/.test(msg));
  });
  it('%%(x) stays the literal %(x) in a value', () => {
    assert.deepEqual(load('env = F=%%(x)\n').config.env, ['F=%(x)']);
  });
});

describe('answers for real uWSGI options', () => {
  it('a real uWSGI option is never an "unknown key"', () => {
    const { warnings } = load('ignore-sigpipe = true\ndisable-write-exception = true\nsocket-timeout = 30\ngevent = 100\nmemory-report = true\n');
    assert.equal(warnings.length, 5);
    assert.match(warnings[0], /app\.ini:2: ignore-sigpipe: ignored: Node never raises SIGPIPE/);
    assert.match(warnings[2], /socket-timeout: ignored: .*http-timeout, http-headers-timeout and http-body-timeout/);
    const errors = fail('unique-cron = -1 -1 -1 -1 -1 echo\nstatic-gzip-all = true\nlogger = file:/tmp/x\ncheaper-step = 2\n');
    assert.equal(errors.length, 4);
    for (const e of errors) assert.match(e, /: not supported by tsws \(/);
  });
  it('hints never suggest an option of another meaning: limit-post and chown-socket are options now', () => {
    const c = load('limit-post = 1048576\nchown-socket = www-data:www-data\n').config;
    assert.equal(c['limit-post'], 1048576);
    assert.equal(c['chown-socket'], 'www-data:www-data');
  });
  it('a name uWSGI does not have either is still an unknown key, with a hint', () => {
    assert.deepEqual(fail('procesess = 2\n'), ['app.ini:2: procesess: unknown key (did you mean processes?) (see tsws --help or docs/options.md)']);
  });
  it('constructor, toString and valueOf are unknown keys, not prototype functions', () => {
    const errors = fail('constructor = 1\ntoString = 2\nvalueOf = 3\n');
    assert.equal(errors.length, 3);
    for (const e of errors) {
      assert.match(e, /: unknown key/);
      assert.ok(!e.includes('[native code]'), e);
    }
  });
  it('uWSGI spellings of tsws options are aliases', () => {
    const c = load('http11-socket = 127.0.0.1:8000\nchmod = 660\nlogformat = %(addr) %(status)\nstats-server = 127.0.0.1:9191\ntouch-workers-reload = /tmp/t\n').config;
    assert.deepEqual([c.http, c['chmod-socket'], c['log-format'], c.stats, c['touch-reload']], [['127.0.0.1:8000'], '0660', '%(addr) %(status)', '127.0.0.1:9191', ['/tmp/t']]);
  });
  it('include = FILE includes an INI file like ini =', () => {
    assert.equal(load('include = other.ini\n', { more: { 'other.ini': '[uwsgi]\nprocesses = 3\n' } }).config.processes, 3);
    assert.match(fail('include = other.yaml\n')[0], /tsws reads INI files only/);
  });
});

describe('the bugs the corpus found', () => {
  it('ini = http://… is answered, not read as the path http:/…', () => {
    const [msg] = fail('ini = http://example.com/x.ini\n');
    assert.match(msg, /^app\.ini:2: ini: loading an INI from http:\/\/ is not supported by tsws/);
    assert.ok(!msg.includes('http:/example'), msg);
  });
  it('every http address of the files is kept, http-socket too, as uWSGI binds each', () => {
    const { config } = load('module = app.js\nhttp = 127.0.0.1:8000\nhttp = [::1]:8000\nhttp-socket = /run/app.sock\n');
    assert.deepEqual(config.http, ['127.0.0.1:8000', '[::1]:8000', '/run/app.sock']);
  });
  it('TSWS_HTTP, then the command line, replace the files\' addresses rather than add one; each repeatable', () => {
    const body = 'http = :8000\nhttp = :8001\n';
    assert.deepEqual(load(body, { argv: { http: ':9000' } }).config.http, [':9000']);
    assert.deepEqual(load(body, { argv: { http: [':9000', ':9001'] } }).config.http, [':9000', ':9001']);
    assert.deepEqual(load(body, { env: { TSWS_HTTP: ':7000' } }).config.http, [':7000']);
    assert.deepEqual(load(body, { argv: { http: ':9000' }, env: { TSWS_HTTP: ':7000' } }).config.http, [':9000']);
  });
  it('a bad address among several names its own line', () => {
    assert.match(fail('http = 127.0.0.1:8000\nhttp = 127.0.0.1:99999\n')[0], /^app\.ini:3: http: /);
  });
  it('vacuum = true ; comment gets the inline-comment hint', () => {
    assert.deepEqual(fail('vacuum = true ; delete sockets\n'), [
      'app.ini:2: vacuum: "true ; delete sockets" is not a boolean (uWSGI INI has no inline comments: put the comment on its own line) (true/false, yes/no, on/off, 1/0, or the bare key for true)',
    ]);
  });
  it('%(4 / 0) is a division by zero, not "Infinity"', () => {
    assert.deepEqual(fail('processes = %(4 / 0)\n'), ['app.ini:2: processes: division by zero in %(4 / 0) (a divisor other than 0)']);
  });
  it('a Python import path in module gets a warning that shows the Node form', () => {
    const { warnings, config } = load('module = mysite.wsgi:application\n');
    assert.equal(config.module, 'mysite.wsgi:application', '--print-config still shows the file as it is');
    assert.deepEqual(warnings, [
      'app.ini:2: module: "mysite.wsgi:application" is a Python import path (package.module:callable), and tsws runs Node.js apps: ' +
        'name a JavaScript file, e.g. module = mysite/wsgi.js:application (a file relative to chdir, :export optional)',
    ]);
    for (const m of ['app.js', 'dist/server.mjs:handler', './app.cjs', 'src/app.ts']) assert.deepEqual(load(`module = ${m}\n`).warnings, [], m);
  });
});

describe('log-format variables', () => {
  it('accepts every uWSGI variable tsws fills', () => {
    const all = 'addr user method uri proto status size rsize hsize headers cl msecs micros secs wid pid host uagent referer ltime ftime ctime time tmsecs tmicros epoch';
    assert.equal(load(`log-format = ${all.split(' ').map((v) => `%(${v})`).join(' ')}\n`).config['log-format']?.length! > 0, true);
  });
  it('names the uWSGI variables it does not fill, with the reason', () => {
    const errors = fail('log-format = %(vars) %(pktsize) %(core) %(rss) %(switches) %(var.HTTP_X) %(metric.x) %(nope)\n');
    assert.equal(errors.length, 8);
    for (const e of errors.slice(0, 7)) assert.match(e, /is not supported by tsws: /);
    assert.match(errors[7], /unknown variable %\(nope\)/);
  });
  it('log-4xx, log-5xx, log-slow, log-big, log-zero load with their uWSGI meanings', () => {
    const c = load('disable-logging = true\nlog-4xx = true\nlog-5xx = true\nlog-slow = 500\nlog-big = 1M\nlog-zero = true\n').config;
    assert.deepEqual([c['log-4xx'], c['log-5xx'], c['log-slow'], c['log-big'], c['log-zero']], [true, true, 500, 1048576, true]);
  });
});

describe('req-logger', () => {
  const file = (body: string) => requestLogFile(load(body).config['req-logger']);
  it('takes uWSGI\'s file logger, in both its forms and under both names; stdio is the log itself', () => {
    assert.equal(file('req-logger = file:/var/log/app/requests.log\n'), '/var/log/app/requests.log');
    assert.equal(file('logger-req = file:logs/request.log\n'), 'logs/request.log');
    assert.equal(file('req-logger = file:logfile=/var/log/app/r.log\n'), '/var/log/app/r.log');
    assert.equal(file('req-logger = file:/srv/my logs/r.log\n'), '/srv/my logs/r.log', 'a space after file: is part of the path');
    assert.equal(file('req-logger = stdio\n'), null);
    assert.equal(file('processes = 2\n'), null);
  });
  it('anything else is an error at its FILE:LINE naming the key, the logger and what is accepted', () => {
    const accepted = /\(file:PATH, file:logfile=PATH, or stdio for the log itself\)$/;
    const cases: [string, RegExp][] = [
      ['req-logger = syslog:myapp,local6', /^app\.ini:3: req-logger: the syslog logger is not supported by tsws: /],
      ['req-logger = socket:127.0.0.1:1717', /^app\.ini:3: req-logger: the socket logger is not supported by tsws: /],
      ['logger-req = reqs file:/tmp/r.log', /^app\.ini:3: req-logger: a named request logger \("reqs"\) is not supported by tsws: .*log-req-route/],
      ['req-logger = /var/log/r.log', /^app\.ini:3: req-logger: "\/var\/log\/r\.log" is not a logger .*: write file:\/var\/log\/r\.log/],
      ['req-logger = file:', /^app\.ini:3: req-logger: file: is not a logger without a path/],
      ['req-logger = file:logfile=/tmp/r.log,maxsize=2000000', /^app\.ini:3: req-logger: rotation by size \(maxsize=\) is not supported by tsws: rotate with logrotate/],
      ['req-logger = file:maxsize=1', /^app\.ini:3: req-logger: rotation by size/],
      ['req-logger = sometypo', /^app\.ini:3: req-logger: "sometypo" is not a logger uWSGI or tsws knows/],
    ];
    for (const [line, want] of cases) {
      const errors = fail(`processes = 2\n${line}\n`);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0], want);
      assert.match(errors[0], accepted);
    }
  });
  it('a second request logger is an error naming both lines (uWSGI writes each line to every one)', () => {
    assert.deepEqual(fail('req-logger = file:/tmp/a.log\nlogger-req = file:/tmp/b.log\n'), [
      'app.ini:3: logger-req: req-logger is already set at app.ini:2 (tsws writes request lines to one file (uWSGI copies each to every req-logger): keep one)',
    ]);
  });
  it('logger = file:PATH stays unsupported, and says to write logto', () => {
    assert.deepEqual(fail('logger = file:/tmp/errors.log\n'), [
      'app.ini:2: logger: not supported by tsws (pluggable loggers are not implemented: tsws logs to stderr, or to logto = PATH (for logger = file:PATH); request lines can have their own file with req-logger = file:PATH)',
    ]);
  });
});
