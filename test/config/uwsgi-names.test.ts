// Issue 17: every real uWSGI option name has tsws's answer. The table (src/config/uwsgi-names.ts) against the
// registry and the answers, and, where the shared corpus is beside the repo, against uWSGI's own option list.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAMILY_ANSWERS, uwsgiAnswer } from '../../src/config/compat.js';
import { allSpellings, lookupOption } from '../../src/config/options.js';
import { uwsgiFamily, uwsgiNames } from '../../src/config/uwsgi-names.js';

const LIST = fileURLToPath(new URL('../../../../shared/corpora/real-world/uwsgi-ini/uwsgi-options.txt', import.meta.url));

describe('uWSGI option names', () => {
  it('"applies" names are tsws options, and tsws options that are uWSGI names are "applies"', () => {
    for (const n of uwsgiNames()) {
      if (uwsgiFamily(n) === 'applies') assert.ok(lookupOption(n), `${n} is marked applies but is no tsws option`);
      else assert.equal(lookupOption(n), undefined, `${n} is a tsws option but marked ${uwsgiFamily(n)}`);
    }
    assert.ok(allSpellings().filter((s) => uwsgiFamily(s) === 'applies').length >= 50);
  });
  it('every other name has an answer: ignored with why, or not supported with what instead', () => {
    for (const n of uwsgiNames()) {
      if (['applies', 'logic'].includes(uwsgiFamily(n)!)) continue;
      const a = uwsgiAnswer(n);
      assert.ok(a && a.text.length > 10, `${n} has no answer`);
    }
    for (const [family, a] of Object.entries(FAMILY_ANSWERS)) assert.ok(['ignored', 'unsupported'].includes(a.kind), family);
  });
  it('prototype names are no uWSGI options', () => {
    for (const n of ['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty']) assert.equal(uwsgiAnswer(n), undefined, n);
  });
  it("covers uWSGI's own option list", { skip: !existsSync(LIST) && `the shared corpus is not beside the repo (${LIST} missing)` }, () => {
    const names = readFileSync(LIST, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const missing = names.filter((n) => !uwsgiFamily(n.replace(/_/g, '-')));
    assert.deepEqual(missing, []);
  });
});
