// Issue 16: how the master merges the app's prom-client registries (master/app-metrics.ts), without processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppMetrics, type MetricsPeer } from '../../src/master/app-metrics.js';
import type { AppMetric, ToWorker } from '../../src/worker/protocol.js';

const counter = (n: number): AppMetric => ({ name: 'jobs_total', help: 'Jobs.', type: 'counter', aggregator: 'sum', values: [{ value: n, labels: { kind: 'a' } }] });
const gauge = (n: number, aggregator = 'sum'): AppMetric => ({ name: 'queue', help: 'Queue.', type: 'gauge', aggregator, values: [{ value: n, labels: {} }] });

/** A worker that answers a metrics request at once with `metrics`. */
function peer(m: AppMetrics, id: number, pid: number, metrics: () => AppMetric[]): MetricsPeer {
  return {
    id, pid, state: 'serving',
    child: { connected: true, send: (msg: ToWorker) => (queueMicrotask(() => msg.type === 'metrics' && m.received(id, pid, msg.seq, metrics())), true) },
  };
}

test('counters are summed and keep the values of workers that exited; gauges are per worker', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const m = new AppMetrics();
  let a = 3;
  const w1 = peer(m, 1, 101, () => [counter(a), gauge(7)]);
  const w2 = peer(m, 2, 102, () => [counter(5), gauge(2)]);
  await m.collect([w1, w2]);
  assert.match(m.text(new Set()), /^jobs_total\{kind="a"\} 8$/m);
  assert.match(m.text(new Set()), /^queue\{worker="1"\} 7$\nqueue\{worker="2"\} 2$/m);
  // Worker 1 stops: its last registry comes unasked (seq 0), then it is gone from the pool.
  a = 4;
  m.received(1, 101, 0, [counter(a), gauge(0)]);
  await m.collect([w2]);
  assert.match(m.text(new Set()), /^jobs_total\{kind="a"\} 9$/m, 'the gone worker still counts');
  assert.doesNotMatch(m.text(new Set()), /worker="1"/, 'its gauge is gone');
  // A late message of its pid (a scrape's answer overtaken by its last registry) is not counted twice.
  m.received(1, 101, 7, [counter(4)]);
  assert.match(m.text(new Set()), /^jobs_total\{kind="a"\} 9$/m);
  // Its slot's new worker starts from 0: the total goes on from there.
  const w3 = peer(m, 1, 103, () => [counter(1)]);
  await m.collect([w2, w3]);
  assert.match(m.text(new Set()), /^jobs_total\{kind="a"\} 10$/m);
  // Worker 2 is killed (no last registry): its last scraped values count, and are folded for good later.
  await m.collect([w3]);
  assert.match(m.text(new Set()), /^jobs_total\{kind="a"\} 10$/m);
  t.mock.timers.tick(11_000);
  await m.collect([w3]);
  m.received(2, 102, 9, [counter(50)]); // too late: folded
  assert.match(m.text(new Set()), /^jobs_total\{kind="a"\} 10$/m);
  assert.doesNotMatch(m.text(new Set()), /worker="2"/);
});

test('aggregator omit leaves a metric out, min/max/average fold gauges, and tsws\'s own names win', async () => {
  const m = new AppMetrics();
  const own: AppMetric = { name: 'process_open_fds', help: 'fds', type: 'gauge', values: [{ value: 9, labels: {} }] };
  const hidden: AppMetric = { ...counter(1), name: 'hidden_total', aggregator: 'omit' };
  await m.collect([peer(m, 1, 201, () => [gauge(4, 'max'), own, hidden]), peer(m, 2, 202, () => [gauge(6, 'max'), own, hidden])]);
  const text = m.text(new Set(['process_open_fds']));
  assert.match(text, /^queue 6$/m);
  assert.doesNotMatch(text, /hidden_total|process_open_fds/);
});

test('a worker that does not answer counts with its last registry; the scrape does not wait past the timeout', async (t) => {
  const m = new AppMetrics();
  m.received(1, 301, 0, [counter(2)]);
  const silent: MetricsPeer = { id: 1, pid: 301, state: 'serving', child: { connected: true, send: () => true } };
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const done = m.collect([silent]);
  t.mock.timers.tick(2000);
  await done;
  assert.match(m.text(new Set()), /^jobs_total\{kind="a"\} 2$/m);
});
