// The leak soak (TSWS_SOAK=1 npm test): 100,000 requests, keep-alive and fresh connections, with workers
// recycled every few requests. The master's open fds and its memory must stay flat.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { APPS, fdChange, load, openFds, startTsws, waitFor } from '../helpers/tsws.js';

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('100,000 requests and hundreds of recycles: master fds and memory stay flat', { timeout: 900_000 }, async (ctx) => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 4\nthreads = 2\nmax-requests = 200\ndisable-logging = true` });
  await load(t.url, { clients: 8, count: 5000, path: '/pid' }); // warm up: JIT, pools, heap
  const fds0 = openFds(t.pid);
  const rss0 = rssMiB(t.pid);
  const rounds: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await load(t.url, { clients: 8, count: 10_000, path: '/pid', keepAlive: i % 2 === 0 });
    assert.equal(r.ok, 10_000, JSON.stringify(r));
    rounds.push(`${openFds(t.pid).length} fds ${rssMiB(t.pid).toFixed(0)} MiB`);
  }
  await waitFor('recycles to settle', () => t.workers().length === 4, 10_000);
  const recycles = (t.output().match(/recycling: max-requests/g) ?? []).length;
  const fds1 = openFds(t.pid);
  ctx.diagnostic(`figure: master ${fdChange(fds0, fds1)}, rss ${rss0.toFixed(0)} -> ${rssMiB(t.pid).toFixed(0)} MiB over 100,000 requests and ${recycles} recycles; per round: ${rounds.join(', ')}`);
  assert.ok(recycles >= 200, `${recycles} recycles`);
  assert.ok(Math.abs(fds1.length - fds0.length) <= 10, fdChange(fds0, fds1));
  assert.ok(rssMiB(t.pid) - rss0 < 40, `master rss ${rss0} -> ${rssMiB(t.pid)} MiB`);
  assert.equal(await t.stop(), 0);
});
