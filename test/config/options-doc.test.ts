// docs/options.md is generated from the registry (`npm run docs:options`); it must not go stale.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTION_NAMES } from '../../src/config/options.js';
import { ROOT } from '../helpers/procs.js';
import { runTsws } from '../helpers/run.js';

it('docs/options.md equals `tsws --options-markdown` (run `npm run docs:options` after changing options.ts)', async () => {
  const r = await runTsws(['--options-markdown']);
  assert.equal(r.code, 0, r.stderr);
  const doc = readFileSync(join(ROOT, 'docs/options.md'), 'utf8');
  assert.ok(doc === r.stdout, 'docs/options.md is stale: run `npm run docs:options`');
  for (const name of OPTION_NAMES) assert.ok(doc.includes(`\`${name}\``), `${name} is not in docs/options.md`);
});
