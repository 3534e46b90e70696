// The expansion passes: magic variables, $(ENV), @(file), %(placeholders) with uWSGI's math.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ExpandError,
  expandEnv,
  expandFileRefs,
  expandMagic,
  expandPlaceholders,
  placeholderNames,
  restoreLiteralPercent,
  type FileInfo,
} from '../../src/config/expand.js';
import { VERSION } from '../../src/version.js';

const FILE: FileInfo = { path: '/srv/mysite/conf/site.prod.ini', given: 'conf/site.prod.ini', section: 'uwsgi' };
const magic = (v: string, f: FileInfo = FILE) => restoreLiteralPercent(expandMagic(v, f));

describe('expandMagic', () => {
  it('expands the file variables of uWSGI', () => {
    assert.equal(magic('%p'), '/srv/mysite/conf/site.prod.ini');
    assert.equal(magic('%d'), '/srv/mysite/conf/', '%d keeps the trailing slash');
    assert.equal(magic('%s'), 'site.prod.ini');
    assert.equal(magic('%n'), 'site.prod');
    assert.equal(magic('%e'), 'ini');
    assert.equal(magic('%c'), 'conf');
    assert.equal(magic('%x'), 'uwsgi');
    assert.equal(magic('%o'), 'conf/site.prod.ini');
    assert.equal(magic('%0/%1/%2/%3'), 'srv/mysite/conf/');
  });
  it('composes: %dapp, /tmp/%n.pid, %d%n.log', () => {
    assert.equal(magic('%dapp'), '/srv/mysite/conf/app');
    assert.equal(magic('/tmp/%n.pid'), '/tmp/site.prod.pid');
    assert.equal(magic('%d%n.log'), '/srv/mysite/conf/site.prod.log');
  });
  it('gives the section being read as %x', () => {
    assert.equal(magic('%n-%x', { ...FILE, section: 'staging' }), 'site.prod-staging');
  });
  it('gives a file in / a single slash for %d', () => {
    assert.equal(magic('%d|%c', { path: '/app.ini', given: '/app.ini', section: 'uwsgi' }), '/|');
  });
  it('expands the process variables', () => {
    assert.equal(magic('%k'), String(cpus().length));
    assert.equal(magic('%V'), VERSION);
    assert.equal(magic('%v'), process.cwd());
    assert.match(magic('%t'), /^\d+$/);
    assert.equal(magic('%['), '\x1b');
  });
  it('turns %% into a literal % that no later pass touches', () => {
    assert.equal(magic('100%%'), '100%');
    const kept = expandMagic('%%(name)', FILE);
    assert.equal(expandPlaceholders(kept, () => 'X'), kept, 'no placeholder is seen in %%(name)');
    assert.equal(restoreLiteralPercent(kept), '%(name)');
    assert.deepEqual(placeholderNames(kept), []);
  });
  it('leaves %(placeholders) for the last pass', () => {
    assert.equal(magic('%(project)/%n'), '%(project)/site.prod');
  });
  it('rejects an unknown %z and a lone % (uWSGI silently makes them empty)', () => {
    assert.throws(() => expandMagic('A%zB', FILE), (e: unknown) => e instanceof ExpandError && e.message === 'unknown magic variable %z' && /%%/.test(e.accepted ?? ''));
    assert.throws(() => expandMagic('100%', FILE), /a lone % at the end of the value/);
    assert.throws(() => expandMagic('50% off', FILE), /a lone % before a space/);
  });
  it('leaves a value without % alone', () => {
    assert.equal(expandMagic('plain', FILE), 'plain');
  });
});

describe('expandEnv', () => {
  const env = { HOME: '/home/tester', APP_ENV: 'production', EMPTY: '' };
  it('replaces $(VAR) from the given environment', () => {
    assert.equal(expandEnv('$(HOME)/app', env), '/home/tester/app');
    assert.equal(expandEnv('settings.$(APP_ENV) in $(HOME)', env), 'settings.production in /home/tester');
    assert.equal(expandEnv('x$(EMPTY)y', env), 'xy');
  });
  it('rejects an undefined variable (uWSGI keeps the text "$(VAR)")', () => {
    assert.throws(
      () => expandEnv('$(NOPE)', env),
      (e: unknown) => e instanceof ExpandError && e.message === '$(NOPE) is not set in the environment',
    );
  });
  it('leaves $VAR and ${VAR} alone: only $(VAR) is uWSGI syntax', () => {
    assert.equal(expandEnv('$HOME ${HOME}', env), '$HOME ${HOME}');
  });
});

describe('expandFileRefs', () => {
  it('reads @(file) relative to the INI directory, without one trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsws-expand-'));
    try {
      writeFileSync(join(dir, 'key.txt'), 'secret\n');
      writeFileSync(join(dir, 'two.txt'), 'a\nb\n\n');
      assert.equal(expandFileRefs('K=@(key.txt)', dir), 'K=secret');
      assert.equal(expandFileRefs('@(two.txt)', dir), 'a\nb\n');
      assert.equal(expandFileRefs(`@(${join(dir, 'key.txt')})`, '/'), 'secret');
      assert.throws(() => expandFileRefs('@(missing.txt)', dir), /@\(missing.txt\) cannot be read: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('expandPlaceholders', () => {
  const values: Record<string, string> = { project: 'mysite', base: '/srv', processes: '4', two: '2', word: 'abc' };
  const lookup = (name: string) => values[name];
  const ph = (v: string) => expandPlaceholders(v, lookup);

  it('replaces %(name)', () => {
    assert.equal(ph('%(base)/%(project)'), '/srv/mysite');
    assert.equal(ph('%( project )'), 'mysite');
  });
  it('does uWSGI math left to right: %(processes + 2 * 10) is (4 + 2) * 10', () => {
    assert.equal(ph('%(processes + 2)'), '6');
    assert.equal(ph('%(processes + 2 * 10)'), '60');
    assert.equal(ph('%(processes - two)'), '2');
    assert.equal(ph('%(processes / 3)'), '1');
    assert.equal(ph('%(processes * two)'), '8');
    assert.equal(ph('%(processes ++)'), '5');
    assert.equal(ph('%(processes --)'), '3');
  });
  it('concatenates adjacent items without an operator', () => {
    assert.equal(ph('%(project base)'), 'mysite/srv');
    assert.equal(ph('%(project 2)'), 'mysite2');
  });
  it('rejects undefined names, math on words, a trailing operator and %()', () => {
    assert.throws(() => ph('%(nope)'), (e: unknown) => e instanceof ExpandError && e.message === 'placeholder %(nope) is not defined');
    assert.throws(() => ph('%(2)'), /placeholder %\(2\) is not defined/);
    assert.throws(() => ph('%(word + 1)'), /"abc" in %\(word \+ 1\) is not a number/);
    assert.throws(() => ph('%(processes +)'), /ends with an operator/);
    assert.throws(() => ph('%()'), /empty placeholder/);
  });
  it('lists the names a value uses', () => {
    assert.deepEqual(placeholderNames('%(base)/%(project) %(processes + 2 * two) %(x ++)'), ['base', 'project', 'processes', 'two', 'x']);
    assert.deepEqual(placeholderNames('no placeholders, $(HOME) or %d'), []);
  });
});
