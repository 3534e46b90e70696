// Fuzzing the INI reader and the config loader: random bytes and mutations of valid files. Whatever the
// input, loading either succeeds or throws ConfigErrors whose every message names where and what — never
// another exception, never a hang.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/files.js';
import { rng } from '../helpers/random.js';
import { ConfigErrors } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';

const FIXTURES = new URL('../../../test/fixtures/ini/', import.meta.url).pathname;
const dir = tempDir('tsws-fuzz-');


const TOKENS = ['[uwsgi]', '[tsws]', '[', ']', '=', '\n', '\r\n', ';', '#', '%', '%(', ')', '$(', '@(', '%d', '%n', '%z', '%(processes + 2)', 'ini = ', 'ini = :other', 'processes', 'env = A=B', 'set-ph = x=%(x)', 'http = ', ':0', '\u0000', '\uFEFF', 'é', ' ', '\t', 'reload-on-rss = 1.5G', 'harakiri = 500ms', 'master', 'max_requests = '];

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.35) s = s.slice(0, pos) + TOKENS[Math.floor(r() * TOKENS.length)] + s.slice(pos);
    else if (op < 0.6) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(r() * 8));
    else if (op < 0.8) s = s.slice(0, pos) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(pos);
    else s = s.slice(0, pos) + s.slice(Math.floor(r() * s.length)); // duplicate or cut a run
  }
  return s;
}

function check(text: string, label: string): 'ok' | 'error' {
  const file = join(dir, 'fuzz.ini');
  writeFileSync(file, text);
  try {
    loadConfig({ iniSpecs: [file], argv: [], env: { HOME: '/home/fuzz' }, cwd: dir });
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof ConfigErrors, `${label}: threw ${(e as Error)?.stack ?? e}\n--- input ---\n${JSON.stringify(text)}`);
    assert.ok(e.errors.length > 0, `${label}: ConfigErrors without errors`);
    for (const err of e.errors) {
      // WHERE: [key: ]problem — WHERE is FILE:LINE, an environment variable or the command line.
      assert.match(err.message, /^(\S+:\d+|command line --\w[\w-]*|environment \w+|configuration): /, `${label}: unclear message ${JSON.stringify(err.message)}`);
    }
    return 'error';
  }
}

test('2,000 mutations of the fixture INI files: loaded, or clear errors — never a crash', () => {
  const seeds = readdirSync(FIXTURES).filter((f) => f.endsWith('.ini')).map((f) => readFileSync(join(FIXTURES, f), 'utf8'));
  const r = rng(20261126);
  const outcome = { ok: 0, error: 0 };
  for (let i = 0; i < 2000; i++) outcome[check(mutate(seeds[i % seeds.length], r), `mutation ${i}`)]++;
  assert.ok(outcome.ok > 50 && outcome.error > 50, `both outcomes seen: ${JSON.stringify(outcome)}`);
});

test('500 files of random bytes: clear errors, never a crash', () => {
  const r = rng(7);
  for (let i = 0; i < 500; i++) {
    const len = Math.floor(r() * 400);
    const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
    const text = (r() < 0.5 ? '[uwsgi]\n' : '') + bytes.toString('latin1');
    check(text, `random ${i}`);
  }
});

test('an include cycle through mutated files and deep placeholder chains terminate', () => {
  const chain = Array.from({ length: 200 }, (_, i) => `set-ph = p${i}=%(p${i + 1})`).join('\n');
  assert.equal(check(`[uwsgi]\n${chain}\nset-ph = p200=end\nchdir = %(p0)\n`, 'deep chain'), 'ok');
  assert.equal(check(`[uwsgi]\nset-ph = a=%(b)\nset-ph = b=%(a)\nchdir = %(a)\n`, 'cycle'), 'error');
  assert.equal(check(`[uwsgi]\nini = ${join(dir, 'fuzz.ini')}\n`, 'self include'), 'error');
});
