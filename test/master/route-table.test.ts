// route-table.ts: the regression tells a route that keeps memory from one that allocates and drops it, even
// when the garbage is read in the interval before the request is counted and freed in the one after.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { RouteCounts, RouteTable } from '../../src/master/route-table.js';
import type { RouteInterval } from '../../src/worker/protocol.js';
import { rng } from '../helpers/random.js';

const MB = 1024 * 1024;

test('a leaking route and a garbage-making one, read across neighbouring intervals, are told apart', () => {
  const random = rng(7);
  const table = new RouteTable();
  const worker = new RouteCounts();
  // Per interval, 0..3 requests of each route end. POST /leak keeps 20 MB, half of it read at the GC before
  // its end; GET /clean allocates 20 MB, read at the GC before its end, freed by the next; GET /noise keeps
  // nothing. Each reading is off by up to ±4 MB (allocation after the GC, before the reading).
  const n = Array.from({ length: 400 }, () => ({ leak: Math.floor(random() * 4), clean: Math.floor(random() * 4), noise: Math.floor(random() * 4) }));
  const intervals: RouteInterval[] = n.map((c, k) => {
    const next = n[k + 1] ?? { leak: 0, clean: 0, noise: 0 };
    const growth = (10 * c.leak + 10 * next.leak + 20 * next.clean - 20 * c.clean + (random() * 8 - 4)) * MB;
    return [[['POST /leak', c.leak], ['GET /clean', c.clean], ['GET /noise', c.noise]].filter(([, x]) => x) as [string, number][], growth];
  });
  for (let i = 0; i < intervals.length; i += 10) table.add(worker.add(intervals.slice(i, i + 10)));
  const per = Object.fromEntries(table.top().map((r) => [r.route, r.perRequest / MB]));
  assert.deepEqual(table.top().map((r) => r.route)[0], 'POST /leak');
  assert.ok(Math.abs(per['POST /leak'] - 20) < 1, JSON.stringify(per));
  assert.ok(Math.abs(per['GET /clean']) < 1, JSON.stringify(per));
  assert.ok(Math.abs(per['GET /noise']) < 1, JSON.stringify(per));
  assert.equal(worker.counts.get('POST /leak'), n.reduce((s, c) => s + c.leak, 0));
});
