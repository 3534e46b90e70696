// Zero loss under recycling: the seed article's leaky app, capped by reload-on-rss, under keep-alive GETs,
// fresh-connection GETs and POSTs. Every request must be answered 200 while workers are recycled.
// A shortened run (sizes scaled down); the article-sized run is test/server/seed.soak.test.ts (TSWS_SOAK=1)
// and bench/seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPS, load, samplePeak, startTsws } from '../helpers/tsws.js';

test('reload-on-rss under keep-alive, fresh-connection and POST load: 0 failed requests, memory held', async () => {
  const t = await startTsws({ ini: `module = ${APPS}/probe.js\nprocesses = 4\nthreads = 2\nreload-on-rss = 150\ndisable-logging = true` });
  const peak = samplePeak(t.pid);
  const phases = [
    await load(t.url, { clients: 8, durationMs: 4000, path: '/leak/30' }),
    await load(t.url, { clients: 8, durationMs: 3000, path: '/leak/30', keepAlive: false }),
    await load(t.url, { clients: 8, durationMs: 3000, path: '/leak/30', method: 'POST', body: JSON.stringify({ input: 'x'.repeat(300) }) }),
  ];
  const peakMiB = peak.stop();
  for (const [i, r] of phases.entries()) {
    assert.deepEqual(r.errors, {}, `phase ${i}: ${JSON.stringify(r)}`);
    assert.deepEqual(Object.keys(r.statuses), ['200'], `phase ${i}: ${JSON.stringify(r.statuses)}`);
  }
  const recycles = (t.output().match(/recycling: rss/g) ?? []).length;
  assert.ok(recycles >= 8, `${recycles} recycles`);
  // Unchecked, 8 clients keeping 30 MB per request would pass several GB in 10 s.
  assert.ok(peakMiB < 1500, `process tree peaked at ${peakMiB} MiB`);
  assert.equal(await t.stop(), 0);
});
