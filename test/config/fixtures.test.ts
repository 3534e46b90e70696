// Every INI fixture under test/fixtures/ini/ through the real `bin/tsws --ini FILE --print-config`.
//
//   NAME.ini                   the file (top level only; files it includes live in inc/)
//   NAME.expect.json           valid: the --print-config keys that matter (only these are compared);
//                              "<ROOT>" in a string stands for the repository root
//   NAME.expect-error.txt      broken: every non-warning stderr line, exactly as printed, in order
//                              (paths relative to the repo root, the cwd of the run), summary line included
//   NAME.expect-warnings.txt   optional: the expected `tsws: warning:` lines; absent means no warnings
//   NAME.run.json              optional: { "section": "S" (→ --ini NAME.ini:S), "env": {...}, "args": [...] }
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/procs.js';
import { runTsws, stderrLines } from '../helpers/run.js';

const DIR = 'test/fixtures/ini';
const ABS = join(ROOT, DIR);

interface RunSpec {
  section?: string;
  env?: Record<string, string>;
  args?: string[];
}

const read = (name: string) => readFileSync(join(ABS, name), 'utf8');
const readOptional = (name: string) => (existsSync(join(ABS, name)) ? read(name) : undefined);
const lines = (text: string | undefined) => (text ?? '').split('\n').filter((l) => l !== '');

function withRoot(v: unknown): unknown {
  if (typeof v === 'string') return v.replaceAll('<ROOT>', ROOT);
  if (Array.isArray(v)) return v.map(withRoot);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withRoot(x)]));
  return v;
}

const fixtures = readdirSync(ABS)
  .filter((f) => f.endsWith('.ini'))
  .map((f) => f.slice(0, -'.ini'.length))
  .sort();

describe('fixture set', () => {
  it('has at least 24 fixtures, valid and broken', () => {
    assert.ok(fixtures.length >= 24, `only ${fixtures.length} fixtures`);
    assert.ok(fixtures.filter((n) => existsSync(join(ABS, `${n}.expect.json`))).length >= 12);
    assert.ok(fixtures.filter((n) => existsSync(join(ABS, `${n}.expect-error.txt`))).length >= 12);
  });

  it('gives every top-level .ini exactly one expectation', () => {
    for (const n of fixtures) {
      const has = [`${n}.expect.json`, `${n}.expect-error.txt`].filter((f) => existsSync(join(ABS, f)));
      assert.equal(has.length, 1, `${DIR}/${n}.ini needs exactly one of .expect.json / .expect-error.txt, has ${has.length}`);
    }
  });

  it('has no expectation file without its .ini', () => {
    for (const f of readdirSync(ABS).filter((f) => /\.(expect|expect-error|expect-warnings|run)\.(json|txt)$/.test(f))) {
      assert.ok(fixtures.includes(f.replace(/\.(expect|expect-error|expect-warnings|run)\.(json|txt)$/, '')), `${f} has no .ini`);
    }
  });

  it('keeps the byte-level fixtures intact (CRLF, byte order mark)', () => {
    const crlf = readFileSync(join(ABS, 'crlf.ini'));
    assert.ok(crlf.includes('\r\n'), 'crlf.ini lost its CRLF line endings (see test/fixtures/ini/.gitattributes)');
    assert.ok(!/[^\r]\n/.test(crlf.toString('latin1')), 'crlf.ini has a bare LF line ending');
    assert.deepEqual([...readFileSync(join(ABS, 'bom.ini')).subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  });
});

// One process per core: each run is ~0.3 s of CPU, mostly Node and yargs starting.
describe('ini fixtures through bin/tsws --print-config', { concurrency: Math.max(2, availableParallelism()) }, () => {
  for (const name of fixtures) {
    it(name, async () => {
      const run: RunSpec = JSON.parse(readOptional(`${name}.run.json`) ?? '{}');
      const spec = `${DIR}/${name}.ini${run.section ? `:${run.section}` : ''}`;
      const r = await runTsws(['--ini', spec, '--print-config', ...(run.args ?? [])], { env: run.env ?? {} });
      const { warnings, errors } = stderrLines(r.stderr);
      assert.deepEqual(warnings, lines(readOptional(`${name}.expect-warnings.txt`)), 'warnings');

      const expectError = readOptional(`${name}.expect-error.txt`);
      if (expectError !== undefined) {
        assert.deepEqual(errors, lines(expectError), 'error lines');
        assert.equal(r.code, 78, 'exit code of a configuration error');
        assert.equal(r.stdout, '', 'nothing on stdout');
        const problems = errors.length - 1;
        assert.equal(errors.at(-1), `tsws: ${problems} configuration error${problems === 1 ? '' : 's'}; nothing was started`);
        return;
      }
      assert.deepEqual(errors, [], 'no errors on stderr');
      assert.equal(r.code, 0);
      const config = JSON.parse(r.stdout) as Record<string, unknown>;
      const expected = withRoot(JSON.parse(read(`${name}.expect.json`))) as Record<string, unknown>;
      assert.ok(Object.keys(expected).length > 0, 'an .expect.json must name at least one key');
      for (const [key, value] of Object.entries(expected)) {
        assert.ok(key in config, `${key} is not a --print-config key`);
        assert.deepEqual(config[key], value, key);
      }
    });
  }
});
