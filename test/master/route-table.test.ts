// route-table.ts: the regression tells a route that keeps memory from one that allocates and drops it, even
// when the garbage is read in the interval before the request is counted and freed in the one after.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { grownMost, perRequestText, RouteCounts, RouteTable } from '../../src/master/route-table.js';
import type { RouteInterval } from '../../src/worker/protocol.js';
import { rng } from '../helpers/random.js';

const MB = 1024 * 1024;

/**
 * Per interval, 0..3 requests of each route end. POST /leak keeps 20 MB, half of it read at the GC before its
 * end; GET /clean allocates 20 MB, read at the GC before its end, freed by the next; GET /noise keeps nothing.
 * Each reading is off by up to ±`off` MB (garbage not swept yet, allocation after the GC, before the reading).
 */
function intervals(count: number, seed: number, off: number): { n: { leak: number; clean: number; noise: number }[]; intervals: RouteInterval[] } {
  const random = rng(seed);
  const n = Array.from({ length: count }, () => ({ leak: Math.floor(random() * 4), clean: Math.floor(random() * 4), noise: Math.floor(random() * 4) }));
  return {
    n,
    intervals: n.map((c, k) => {
      const next = n[k + 1] ?? { leak: 0, clean: 0, noise: 0 };
      const growth = (10 * c.leak + 10 * next.leak + 20 * next.clean - 20 * c.clean + (random() * 2 - 1) * off) * MB;
      return [[['POST /leak', c.leak], ['GET /clean', c.clean], ['GET /noise', c.noise]].filter(([, x]) => x) as [string, number][], growth];
    }),
  };
}

test('a leaking route and a garbage-making one, read across neighbouring intervals, are told apart', () => {
  const table = new RouteTable();
  const worker = new RouteCounts();
  const { n, intervals: all } = intervals(400, 7, 4);
  for (let i = 0; i < all.length; i += 10) table.add(worker.add(all.slice(i, i + 10)));
  const per = Object.fromEntries(table.top().map((r) => [r.route, r.perRequest / MB]));
  assert.deepEqual(table.top().map((r) => r.route)[0], 'POST /leak');
  assert.ok(Math.abs(per['POST /leak'] - 20) < 1, JSON.stringify(per));
  assert.ok(Math.abs(per['GET /clean']) < 1, JSON.stringify(per));
  assert.ok(Math.abs(per['GET /noise']) < 1, JSON.stringify(per));
  assert.equal(worker.counts.get('POST /leak'), n.reduce((s, c) => s + c.leak, 0));
});

test('each estimate carries a standard error: the truth is within a few of them, and they shrink with data', () => {
  const errors: number[] = [];
  for (const count of [30, 400]) {
    const table = new RouteTable();
    const worker = new RouteCounts();
    table.add(worker.add(intervals(count, 11, 30).intervals));
    const rows = Object.fromEntries(table.top().map((r) => [r.route, r]));
    for (const [route, truth] of [['POST /leak', 20], ['GET /clean', 0], ['GET /noise', 0]] as const) {
      const r = rows[route];
      // Three standard errors, plus the ridge's pull towards 0 while data is thin.
      assert.ok(Math.abs(r.perRequest / MB - truth) < 3 * (r.error / MB) + (count < 100 ? 3 : 0.5), `${count}: ${JSON.stringify(r)}`);
    }
    errors.push(rows['POST /leak'].error / MB);
  }
  assert.ok(errors[1] < errors[0] / 2, `errors ${errors.join(' → ')} MB`);
});

test('a recycle line names the grower only once it stands out from the noise', () => {
  const table = new RouteTable();
  const worker = new RouteCounts();
  const all = intervals(400, 5, 60).intervals;
  // Fewer intervals than unknowns (three lags of three routes): no error can be told yet.
  table.add(worker.add(all.slice(0, 8)));
  assert.match(grownMost(table, worker), /^; no route stands out yet: .*POST \/leak \([+-]\d+ ±\? MiB\/request over \d+\)/);
  table.add(worker.add(all.slice(8)));
  assert.match(grownMost(table, worker), /^; grown most by POST \/leak \(\+\d+ ±\d MiB\/request over \d+\), GET \/(clean|noise) \([+-]\d+ ±\d MiB\/request over \d+\)/);
  assert.equal(grownMost(table, new RouteCounts()), '', 'a worker that reported nothing gets no clause');
});

test('figures per request: the unit the larger of estimate and error needs, and no "-0"', () => {
  assert.equal(perRequestText(76 * MB, 3 * MB), '+76 ±3 MiB/request');
  assert.equal(perRequestText(-200, 400), '-0.2 ±0.4 KiB/request');
  assert.equal(perRequestText(-0.2 * MB, 2 * MB), '+0 ±2 MiB/request');
  assert.equal(perRequestText(5 * MB, Infinity), '+5 ±? MiB/request');
});
