// The behaviour the registry declares beyond a value's type (config/rules.ts): fixed values, derived defaults,
// list separators, custom checks and required options, applied by the loader for every option alike.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadFailure, loadIni } from '../helpers/config.js';
import { OPTION_NAMES, spec } from '../../src/config/options.js';
import { missingRequired } from '../../src/config/rules.js';

const load = loadIni;
/** The error messages of a load that must fail. */
const errors = (body: string): string[] => loadFailure(body).errors;

describe('registry rules', () => {
  it('derives max-requests-jitter from max-requests while it is unset, and keeps an explicit value', () => {
    assert.equal(load('max-requests = 1000\n').config['max-requests-jitter'], 100);
    assert.equal(load('max-requests = 1000\nmax-requests-jitter = 0\n').config['max-requests-jitter'], 0);
  });

  it('splits a list option on its separator, and accumulates repeated keys', () => {
    const { config } = load('forwarded-allow-ips = 127.0.0.1, ::1,\nforwarded-allow-ips = unix\n');
    assert.deepEqual(config['forwarded-allow-ips'], ['127.0.0.1', '::1', 'unix']);
  });

  it('puts a fixed value back, with a warning naming the line', () => {
    const { config, warnings } = load('master = false\n');
    assert.equal(config.master, true);
    assert.deepEqual(warnings, ['app.ini:2: master: tsws always runs a master; "false" is ignored']);
  });

  it('runs custom checks with the other options, at the line that set the option', () => {
    assert.deepEqual(errors('max-worker-lifetime = 60\nmin-worker-lifetime = 60\n'), [
      'app.ini:3: min-worker-lifetime: 60s is not below max-worker-lifetime 60s (min-worker-lifetime < max-worker-lifetime)',
    ]);
    assert.equal(load('max-worker-lifetime = 60\nmin-worker-lifetime = 59\n').config['min-worker-lifetime'], 59);
  });

  it('names every missing required option, and http not when a listening socket is given', () => {
    const none = load('processes = 1\n').config;
    assert.deepEqual(missingRequired(none, false).map((e) => e.message), [
      'configuration: module: required (module = path/to/app.js)',
      'configuration: http: required (http = 127.0.0.1:8000, :8000 or a unix socket path)',
    ]);
    assert.deepEqual(missingRequired(none, true).map((e) => e.key), ['module']);
    assert.deepEqual(missingRequired(load('module = app.js\nhttp = :8000\n').config, false), []);
  });

  it('declares a derivation only on an option whose default is unset, and a separator only on a list', () => {
    for (const name of OPTION_NAMES) {
      const s = spec(name);
      if (s.derived) assert.equal(s.default, null, name);
      if (s.separator) assert.equal(s.list, true, name);
      if (s.fixed) assert.equal(s.default, s.fixed.value, name);
    }
  });
});
