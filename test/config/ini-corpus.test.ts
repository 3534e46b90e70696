// Issue 17: 50 real `[uwsgi]` files from 50 public repositories, each through the real bin/tsws (--print-config
// and --check) by the shared runner (../shared/corpora/real-world/run-ini-corpus.mjs, beside the repo; see its
// README), plus its probes (minimal INI lines for each bug the corpus found). The runner classifies every
// message; this test holds tsws to the bar on its results: no bug, no crash, and no real uWSGI option
// or log variable called "unknown". Takes about 30 s (100 tsws runs, nothing started); skipped with a message
// where the shared corpus is not beside the repo. The corpus is never copied into the repository.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ROOT, tempDir } from '../helpers/tsws.js';

const CORPUS = fileURLToPath(new URL('../../../../shared/corpora/real-world/', import.meta.url));
const RUNNER = join(CORPUS, 'run-ini-corpus.mjs');
const present = existsSync(RUNNER);

interface Results {
  kindTotals: Record<string, number>;
  results: { entry: string; autoVerdict: string; messages: { kind: string; text: string }[] }[];
  probes: { id: string; present: boolean; tsws: string }[];
}

test(
  'the real-world uWSGI INI corpus: no bug, no crash, every real uWSGI option and log variable answered',
  { skip: !present && `the shared corpus is not beside the repo (${RUNNER} missing)`, timeout: 5 * 60_000 },
  () => {
    const out = join(tempDir('tsws-ini-corpus-'), 'results.json');
    const r = spawnSync(process.execPath, [RUNNER, ROOT, '--json', out], { encoding: 'utf8', timeout: 4 * 60_000 });
    const summary = r.stdout.trim().split('\n').pop() ?? '';
    assert.equal(r.status, 0, `the runner ended ${r.status}: ${r.stderr}`);
    const { kindTotals, results, probes } = JSON.parse(readFileSync(out, 'utf8')) as Results;
    const show = (kinds: RegExp): string[] => results.flatMap((f) => f.messages.filter((m) => kinds.test(m.kind)).map((m) => m.text));

    assert.equal(results.length, 50, summary);
    assert.deepEqual(results.filter((f) => f.autoVerdict === 'crash').map((f) => f.entry), [], `crashes (${summary})`);
    assert.deepEqual(results.filter((f) => f.autoVerdict === 'bug').map((f) => f.entry), [], `bugs (${summary})`);
    assert.deepEqual(show(/^BUG-/), [], 'bug messages');
    assert.deepEqual(show(/^unknown-real-uwsgi/), [], 'real uWSGI options called "unknown key"');
    assert.deepEqual(show(/^logformat-real-uwsgi-var$/), [], 'real uWSGI log variables called unknown');
    assert.deepEqual(show(/^(logic-placeholder|at-file|inline-comment-bool-nohint|other)$/), [], 'unclear messages');
    assert.equal((kindTotals['unknown-real-uwsgi'] ?? 0) + (kindTotals['unknown-real-uwsgi-misleading-hint'] ?? 0), 0, summary);
    assert.deepEqual(probes.filter((p) => p.present).map((p) => `${p.id}: ${p.tsws}`), [], 'bug probes still present');
    assert.match(summary, /0 unclear .*, 0 bugs, 0 crashes; 0 "unknown key" errors on real uWSGI options; probes: 0\/\d+ bugs present/);
  },
);
