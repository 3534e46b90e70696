// The full scenario (TSWS_SOAK=1 npm test): the seed app (samples/leak.js, ~78 MB kept per request),
// processes = 4, threads = 2, reload-on-rss = 400, 8 clients for 40 s keep-alive, 20 s fresh connections,
// 20 s POSTs: 0 failed requests, at least 8 recycles, the process tree's PSS never above 3,000 MiB.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load, samplePeak, SAMPLES, startTsws } from '../helpers/tsws.js';

test('seed scenario: 80 s of load, 0 failed requests, >= 8 recycles, PSS <= 3000 MiB', { timeout: 180_000 }, async () => {
  const t = await startTsws({ ini: `module = ${SAMPLES}/leak.js\nprocesses = 4\nthreads = 2\nreload-on-rss = 400\ndisable-logging = true` });
  const peak = samplePeak(t.pid, 100);
  const phases = [
    await load(t.url, { clients: 8, durationMs: 40_000, path: '/test' }),
    await load(t.url, { clients: 8, durationMs: 20_000, path: '/test', keepAlive: false }),
    await load(t.url, { clients: 8, durationMs: 20_000, path: '/test', method: 'POST', body: JSON.stringify({ input: 'x'.repeat(300) }) }),
  ];
  const peakMiB = peak.stop();
  const recycles = (t.output().match(/recycling: rss/g) ?? []).length;
  console.log(JSON.stringify({ phases: phases.map((p) => ({ ok: p.ok, statuses: p.statuses, errors: p.errors })), recycles, peakMiB }));
  for (const r of phases) {
    assert.deepEqual(r.errors, {});
    assert.deepEqual(Object.keys(r.statuses), ['200']);
  }
  assert.ok(recycles >= 8, `${recycles} recycles`);
  assert.ok(peakMiB <= 3000, `peak ${peakMiB} MiB`);
  assert.equal(await t.stop(), 0);
});
