// bench/route-table: what solving the route-memory estimates costs the master (src/master/route-table.ts): a
// table filled to its 50 routes from 2,000 intervals of 6 routes each, then `top()` — the estimates and their
// standard errors, solved afresh, as a stats read or a memory recycle's log line asks — timed N times. The
// master's event loop does nothing else meanwhile, so this is how long a solve holds requests back. Prints JSON.
//
//   npx tsc -p . && node dist/bench/route-table.js [--runs 100]
import { parseArgs } from 'node:util';
import { RouteCounts, RouteTable } from '../src/master/route-table.js';
import type { RouteInterval } from '../src/worker/protocol.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100' } } });
const runs = Number(values.runs);

const table = new RouteTable();
const worker = new RouteCounts();
const intervals: RouteInterval[] = Array.from({ length: 2000 }, (_, k) => [
  Array.from({ length: 6 }, (_, j) => [`GET /r${(k * 7 + j * 13) % 50}`, 1 + ((k + j) % 3)] as [string, number]),
  (k % 17) * 1e6,
]);
table.add(worker.add(intervals));
table.top(); // compiled before timing
const t0 = performance.now();
for (let i = 0; i < runs; i++) table.top();
const ms = (performance.now() - t0) / runs;
console.log(JSON.stringify({ node: process.version, routes: table.size, runs, ms_per_solve: Number(ms.toFixed(2)) }));
