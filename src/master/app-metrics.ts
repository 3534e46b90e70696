// The app's prom-client metrics, whole across the pool (issue 16). A pool that recycles by design breaks
// per-process metrics: every recycle resets a counter and every scrape lands on one random worker
// (prom-client #385, courtlistener #7980). The master owns every worker's life, so it merges them here:
// - each scrape of /metrics asks every live worker for its registry over IPC (worker/app-metrics.ts), as
//   prom-client's AggregatorRegistry does, and a stopping worker sends its last one unasked;
// - counters and histograms are summed over the workers, and a worker that exited keeps its last values in
//   the sum (folded into `retired` once its late messages cannot come any more), so totals never go back;
// - gauges and summaries are one series per live worker, with a `worker` label (a worker's queue length or
//   quantile has no meaning summed), unless the app gave the gauge an aggregator of prom-client's
//   (min, max, average, first), which is applied over the live workers;
// - a metric whose aggregator is 'omit', or whose name tsws itself exposes, is left out.
import * as log from '../log.js';
import type { AppMetric, ToWorker } from '../worker/protocol.js';

/** What this module needs of a worker (the pool's Worker has it). */
export interface MetricsPeer {
  readonly id: number;
  readonly pid: number;
  readonly state: string;
  readonly child: { readonly connected: boolean; send(m: ToWorker, cb: (err: Error | null) => void): boolean };
}

/** A scrape waits this long for the workers; one that has not answered counts with its last registry. */
const COLLECT_TIMEOUT_MS = 2000;
/**
 * A worker gone without its last registry (killed, crashed) is folded into the retired sums this long after
 * it was first seen gone: until then, a message of its still on its way would replace its values.
 */
const FOLD_AFTER_MS = 10_000;
/** Workers whose registry answers a scrape: the others have not loaded the app, or have stopped. */
const ASKED = new Set(['standby', 'serving', 'draining']);

interface Snapshot {
  wid: number;
  metrics: readonly AppMetric[];
  /** When the worker was first seen gone (0: alive). */
  goneAt: number;
}

interface Series {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  value: number;
}

interface Family {
  readonly help: string;
  readonly type: string;
  readonly series: Map<string, Series>;
}

const seriesKey = (metricName: string, labels: Readonly<Record<string, string | number>>): string =>
  `${metricName}\u0000${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0000')}`;

const summed = (m: AppMetric): boolean => (m.type === 'counter' || m.type === 'histogram') && m.aggregator !== 'omit';

export class AppMetrics {
  private readonly byPid = new Map<number, Snapshot>();
  /** Counters and histograms of workers gone for good, summed. */
  private readonly retired = new Map<string, Family>();
  /** Pids already folded: a message of theirs arriving still later must not be counted twice. */
  private readonly folded = new Set<number>();
  private seq = 0;
  private readonly waiting = new Map<number, { pending: Set<number>; done: () => void }>();
  private readonly warned = new Set<string>();

  /**
   * A worker's registry (pool.ts hands over its `metrics` messages). seq 0 is a stopping worker's last one:
   * folded at once (nothing it sends later can be newer), so that recycles without scrapes (no stats
   * server) leave nothing behind but the sums.
   */
  received(wid: number, pid: number, seq: number, metrics: readonly AppMetric[] | null): void {
    if (metrics && !this.folded.has(pid)) {
      let s = this.byPid.get(pid);
      if (s) s.metrics = metrics;
      else this.byPid.set(pid, (s = { wid, metrics, goneAt: 0 }));
      if (seq === 0) this.fold(pid, s);
    }
    const w = this.waiting.get(seq);
    if (w && w.pending.delete(pid) && w.pending.size === 0) w.done();
  }

  /** Ask every live worker for its registry; resolves when all answered or after COLLECT_TIMEOUT_MS. */
  collect(workers: readonly MetricsPeer[]): Promise<void> {
    const now = Date.now();
    const live = new Set<number>();
    for (const w of workers) if (w.state !== 'gone' && w.pid) live.add(w.pid);
    for (const [pid, s] of this.byPid) {
      if (live.has(pid)) continue;
      if (!s.goneAt) s.goneAt = now;
      else if (now - s.goneAt > FOLD_AFTER_MS) this.fold(pid, s);
    }
    const peers = workers.filter((w) => ASKED.has(w.state) && w.pid && w.child.connected);
    if (peers.length === 0) return Promise.resolve();
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(seq);
        resolve();
      };
      const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
      this.waiting.set(seq, { pending: new Set(peers.map((w) => w.pid)), done });
      // A send that fails (the worker just exited) is no reason to kill it, unlike a stop: its pid answers no more.
      for (const w of peers) w.child.send({ type: 'metrics', seq }, () => {});
    });
  }

  private fold(pid: number, s: Snapshot): void {
    for (const m of s.metrics) if (summed(m)) add(this.retired, m);
    this.byPid.delete(pid);
    this.folded.add(pid);
    if (this.folded.size > 10_000) this.folded.delete(this.folded.values().next().value!); // pids are reused eventually
  }

  /** The merged families in Prometheus text; `taken`: names tsws exposes itself (those of the app are left out). */
  text(taken: ReadonlySet<string>): string {
    const families = new Map<string, Family>();
    for (const [name, f] of this.retired) families.set(name, { help: f.help, type: f.type, series: new Map([...f.series].map(([k, v]) => [k, { ...v }])) });
    const perWorker: [AppMetric, number][] = [];
    for (const s of this.byPid.values()) {
      for (const m of s.metrics) {
        if (m.aggregator === 'omit') continue;
        if (summed(m)) add(families, m);
        else if (!s.goneAt) perWorker.push([m, s.wid]);
      }
    }
    for (const [m, wid] of perWorker) perWorkerSeries(families, m, wid);
    const out: string[] = [];
    for (const [name, f] of families) {
      if (taken.has(name)) {
        if (!this.warned.has(name)) {
          this.warned.add(name);
          log.warn(`app metrics: the app's ${name} is left out of /metrics: tsws exposes a metric of that name itself (the master's)`);
        }
        continue;
      }
      out.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${f.type}`);
      for (const s of f.series.values()) out.push(`${s.metricName}${labelText(s.labels)} ${valueText(s.value)}`);
    }
    return out.length ? out.join('\n') + '\n' : '';
  }
}

function family(into: Map<string, Family>, m: AppMetric): Family | null {
  let f = into.get(m.name);
  if (!f) into.set(m.name, (f = { help: m.help, type: m.type, series: new Map() }));
  return f.type === m.type ? f : null; // a worker of another code version that changed the type: left out
}

/** Sum a counter's or histogram's samples into `into`. */
function add(into: Map<string, Family>, m: AppMetric): void {
  const f = family(into, m);
  if (!f) return;
  for (const v of m.values) {
    const metricName = v.metricName ?? m.name;
    const key = seriesKey(metricName, v.labels);
    const s = f.series.get(key);
    if (s) s.value += v.value ?? 0;
    else f.series.set(key, { metricName, labels: v.labels, value: v.value ?? 0 });
  }
}

const AGGREGATE: Record<string, (a: number, b: number, n: number) => number> = {
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
  first: (a) => a,
  // A running mean: a is the mean of the first n-1 values.
  average: (a, b, n) => a + (b - a) / n,
};

/** A gauge or summary of one live worker: its own series, or folded by the aggregator the app chose. */
function perWorkerSeries(into: Map<string, Family>, m: AppMetric, wid: number): void {
  const f = family(into, m);
  if (!f) return;
  const agg = m.type === 'gauge' ? AGGREGATE[m.aggregator ?? ''] : undefined;
  for (const v of m.values) {
    const metricName = v.metricName ?? m.name;
    const labels = agg || 'worker' in v.labels ? v.labels : { ...v.labels, worker: wid };
    const key = seriesKey(metricName, labels);
    const s = f.series.get(key) as (Series & { n?: number }) | undefined;
    if (!s) f.series.set(key, { metricName, labels, value: v.value ?? NaN, n: 1 } as Series);
    else if (agg) s.value = agg(s.value, v.value ?? NaN, (s.n = (s.n ?? 1) + 1));
  }
}

/** `{k="v",…}` in Prometheus text (backslash, quote and newline escaped), or '' without labels. */
export function labelText(labels: Readonly<Record<string, string | number>>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The one merger of the master (pool.ts feeds it, the stats server reads it). */
export const appMetrics = new AppMetrics();
