// The command line around the config layer: --help, --version, precedence of env and flags, flag errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTION_NAMES, spec } from '../../src/config/options.js';
import { ROOT } from '../helpers/procs.js';
import { runTsws, stderrLines } from '../helpers/run.js';

const INI = 'test/fixtures/ini/scalars-last-wins.ini'; // processes = 5, threads = 4
const config = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe('tsws command line', { concurrency: true }, () => {
  it('--help lists every registry option with its help line', async () => {
    const r = await runTsws(['--help']);
    assert.equal(r.code, 0);
    // yargs wraps the description column; compare with the wrapping (and its [array] tag) folded away.
    const flat = r.stdout.replace(/\[array\]/g, ' ').replace(/\s+/g, ' ');
    for (const name of OPTION_NAMES) {
      assert.match(r.stdout, new RegExp(`--${name}(?![\\w-])`), `--${name} is missing from --help`);
      const help = spec(name).help.replace(/\s+/g, ' ');
      assert.ok(flat.includes(help), `--help does not show the help line of ${name}: "${help}"`);
      for (const alias of spec(name).aliases ?? []) assert.ok(flat.includes(`--${alias}`), `alias --${alias}`);
    }
    for (const command of ['--print-config', '--check', '--reload', '--stop', '--version']) assert.ok(flat.includes(command), command);
  });

  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runTsws(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('--print-config prints every registry option', async () => {
    const r = await runTsws(['--print-config']);
    assert.equal(r.code, 0);
    assert.deepEqual(Object.keys(config(r.stdout)).sort(), [...OPTION_NAMES].sort());
    assert.equal(r.stderr, '');
  });

  it('uses the INI value when nothing overrides it', async () => {
    const r = await runTsws(['--ini', INI, '--print-config']);
    assert.equal(config(r.stdout).processes, 5);
  });

  it('TSWS_PROCESSES beats the INI file', async () => {
    const r = await runTsws(['--ini', INI, '--print-config'], { env: { TSWS_PROCESSES: '7' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(config(r.stdout).processes, 7);
    assert.equal(config(r.stdout).threads, 4, 'options not in the environment keep their INI value');
  });

  it('--processes beats TSWS_PROCESSES, and so does its short form -p', async () => {
    const long = await runTsws(['--ini', INI, '--processes', '9', '--print-config'], { env: { TSWS_PROCESSES: '7' } });
    assert.equal(config(long.stdout).processes, 9);
    const short = await runTsws(['--ini', INI, '-p', '3', '--print-config'], { env: { TSWS_PROCESSES: '7' } });
    assert.equal(config(short.stdout).processes, 3);
  });

  it('reads aliases and underscores from the environment (TSWS_WORKERS, TSWS_HTTP_SOCKET)', async () => {
    const r = await runTsws(['--print-config'], { env: { TSWS_WORKERS: '6', TSWS_HTTP_SOCKET: ':9000', TSWS_HTTP_TIMEOUT: '500ms' } });
    assert.equal(r.code, 0, r.stderr);
    const c = config(r.stdout);
    assert.equal(c.processes, 6);
    assert.deepEqual(c.http, [':9000']);
    assert.equal(c['http-timeout'], 0.5);
  });

  it('accumulates list options across INI, environment and command line', async () => {
    const r = await runTsws(['--ini', 'test/fixtures/ini/env-order.ini', '--env', 'X=argv', '--print-config'], { env: { TSWS_ENV: 'X=env' } });
    const env = config(r.stdout).env as string[];
    assert.deepEqual(env.slice(-2), ['X=env', 'X=argv']);
    assert.equal(env[0], 'FOO=one');
  });

  it('reads TSWS_INI as an INI file', async () => {
    const r = await runTsws(['--print-config'], { env: { TSWS_INI: INI } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(config(r.stdout).processes, 5);
  });

  it('takes a bare FILE.ini argument, as `uwsgi app.ini`', async () => {
    const r = await runTsws([INI, '--print-config']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(config(r.stdout).processes, 5);
  });

  it('rejects an unknown flag with a suggestion and exit code 78', async () => {
    const r = await runTsws(['--ini', INI, '--procesess', '4', '--print-config']);
    assert.equal(r.code, 78);
    assert.equal(r.stdout, '');
    assert.deepEqual(stderrLines(r.stderr).errors, [
      'tsws: command line --procesess: unknown option (did you mean --processes?) (see tsws --help)',
      'tsws: 1 configuration error; nothing was started',
    ]);
  });

  it('checks command-line values like INI values', async () => {
    const r = await runTsws(['--threads', 'lots', '--print-config']);
    assert.equal(r.code, 78);
    assert.deepEqual(stderrLines(r.stderr).errors, [
      'tsws: command line --threads: threads: "lots" is not a whole number (a whole number >= 1)',
      'tsws: 1 configuration error; nothing was started',
    ]);
  });

  it('prints every problem at once: flags, environment and INI lines', async () => {
    const r = await runTsws(['--ini', 'test/fixtures/ini/typo.ini', '--thread', '2', '--http-timeout', 'soon', '--print-config'], {
      env: { TSWS_LISTEN: '0' },
    });
    assert.equal(r.code, 78);
    assert.equal(r.stdout, '');
    assert.deepEqual(stderrLines(r.stderr).errors, [
      'tsws: command line --thread: unknown option (did you mean --threads?) (see tsws --help)',
      'tsws: test/fixtures/ini/typo.ini:3: procesess: unknown key (did you mean processes?) (see tsws --help or docs/options.md)',
      'tsws: test/fixtures/ini/typo.ini:4: thraeds: unknown key (did you mean threads?) (see tsws --help or docs/options.md)',
      'tsws: environment TSWS_LISTEN: listen: 0 is out of range (a whole number >= 1)',
      'tsws: command line --http-timeout: http-timeout: "soon" is not a duration (seconds as a bare number, or a number with ms, s, m, h (e.g. 500ms, 30s, 2m))',
      'tsws: 5 configuration errors; nothing was started',
    ]);
  });

  it('warns about an unknown TSWS_ variable, with a suggestion, and still loads', async () => {
    const r = await runTsws(['--print-config'], { env: { TSWS_PROCESES: '2' } });
    assert.equal(r.code, 0);
    assert.deepEqual(stderrLines(r.stderr).warnings, [
      'tsws: warning: environment TSWS_PROCESES: not a tsws option, ignored (did you mean TSWS_PROCESSES?)',
    ]);
    assert.equal(config(r.stdout).processes, 1);
  });

  it('refuses to start with no configuration at all', async () => {
    const r = await runTsws([]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /no configuration: give --ini FILE/);
  });

  it('--check validates like nginx -t: exit 0 for a good file, 78 with file:line and the module path for a bad one', async () => {
    const ok = await runTsws(['--ini', 'samples/hello.ini', '--check']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'tsws: configuration OK (samples/hello.ini)\n');
    const bad = await runTsws(['--ini', 'samples/hello.ini', '--module', 'samples/nope.js', '--check']);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /^tsws: command line --module: module: \S+\/samples\/nope\.js does not exist$/m);
    const worse = await runTsws(['--ini', INI, '--check'], { env: { TSWS_PROCESSES: 'many' } });
    assert.equal(worse.code, 78);
    assert.match(worse.stderr, /environment TSWS_PROCESSES: processes: "many" is not a whole number/);
  });

  it('rejects a stray argument that is not an INI file', async () => {
    const r = await runTsws(['app.js', '--print-config']);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /unexpected argument "app.js"/);
  });
});
