// Memory growth by route, from what workers report (src/worker/route-memory.ts): for each interval between two
// major GCs of a worker, the requests of each route that ended in it and how much its live memory grew. A
// request's memory shows up around its own interval: what it allocates may be read at the GC before its end
// (the GC its allocation set off), and what it drops is gone by the GC after. So each interval's growth is
// modelled on the requests that ended in it, in the one before and in the one after:
//   growth(k) ≈ Σ_route a·n(k) + b·n(k−1) + c·n(k+1)
// solved by least squares over every interval seen (ridge-regularised, so a route seen in few intervals stays
// near 0 rather than swinging); a route keeps a + b + c bytes per request. Garbage a route allocates and drops
// shows as +x and −x in neighbouring intervals and cancels; what it keeps does not. Bounded: MAX_ROUTES routes,
// the rest as "other", so an app with ids in its paths cannot grow it. One table for the pool (stats, /metrics);
// each worker keeps its own request counts, so its recycle's log line says "over N" of its own.
import { mib } from '../sys/memory.js';
import type { RouteInterval } from '../worker/protocol.js';

const MAX_ROUTES = 50;
/** Lags modelled: the requests that ended in the interval before, in it, and in the one after. */
const LAGS = 3;
const DIM = MAX_ROUTES * LAGS;
/** Ridge term, relative to the largest diagonal of XᵀX. */
const RIDGE = 0.02;
/** The estimates are solved again at most this often (ms): a solve is ~1 M flops. */
const SOLVE_EVERY_MS = 1000;

type Counts = RouteInterval[0];

/** One modelled interval: the counts that ended before it, in it and after it, and its growth. */
export type RouteRow = readonly [before: Counts, during: Counts, after: Counts, growth: number];

export interface RouteFigures {
  readonly route: string;
  /** Requests counted in intervals. */
  readonly requests: number;
  /** Estimated bytes each request keeps (negative: it frees more than it keeps). */
  readonly perRequest: number;
  /** Growth attributed to it so far (bytes): each interval's growth shared by estimated share; only rises. */
  readonly grown: number;
}

export class RouteTable {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly requests: number[] = [];
  private readonly grown: number[] = [];
  /** XᵀX (row-major, DIM × DIM) and Xᵀy; feature lag × MAX_ROUTES + route. */
  private readonly xtx = new Float64Array(DIM * DIM);
  private readonly xty = new Float64Array(DIM);
  private solved: { at: number; perRequest: Float64Array } | null = null;

  private slot(route: string): number {
    let i = this.index.get(route);
    if (i === undefined) {
      if (this.names.length >= MAX_ROUTES - 1 && route !== 'other') return this.slot('other');
      i = this.names.length;
      this.index.set(route, i);
      this.names.push(route);
      this.requests.push(0);
      this.grown.push(0);
    }
    return i;
  }

  add(rows: readonly RouteRow[]): void {
    for (const [before, during, after, growth] of rows) {
      const xs = [before, during, after].flatMap((counts, lag) => counts.map(([route, n]) => [lag * MAX_ROUTES + this.slot(route), n] as const));
      for (const [i, n] of xs) {
        this.xty[i] += n * growth;
        for (const [j, m] of xs) this.xtx[i * DIM + j] += n * m;
      }
      const own = during.map(([route, n]) => [this.slot(route), n] as const);
      for (const [i, n] of own) this.requests[i] += n;
      if (growth <= 0 || own.length === 0) continue;
      // The counter: this interval's growth shared by its routes' estimated parts (by requests while nothing
      // is estimated to grow).
      const est = this.estimates();
      let weight = 0;
      for (const [i, n] of own) weight += Math.max(0, est[i]) * n;
      const total = own.reduce((sum, [, n]) => sum + n, 0);
      for (const [i, n] of own) this.grown[i] += weight > 0 ? (growth * Math.max(0, est[i]) * n) / weight : (growth * n) / total;
    }
  }

  /** Bytes kept per request of each route (a + b + c), solved again at most every SOLVE_EVERY_MS. */
  private estimates(): Float64Array {
    const now = performance.now();
    if (this.solved && now - this.solved.at < SOLVE_EVERY_MS) return this.solved.perRequest;
    const k = this.names.length;
    const used = Array.from({ length: LAGS * k }, (_, f) => Math.floor(f / k) * MAX_ROUTES + (f % k));
    const b = solve(used.map((i) => used.map((j) => this.xtx[i * DIM + j])), used.map((i) => this.xty[i]));
    const perRequest = new Float64Array(k);
    for (let f = 0; f < used.length; f++) perRequest[f % k] += b[f];
    this.solved = { at: now, perRequest };
    return perRequest;
  }

  /** Routes by estimated bytes kept per request, largest first. */
  top(n = MAX_ROUTES): RouteFigures[] {
    this.solved = null; // a reader wants the newest figures
    const est = this.estimates();
    return this.names
      .map((route, i) => ({ route, requests: this.requests[i], perRequest: est[i], grown: this.grown[i] }))
      .sort((a, b) => b.perRequest - a.perRequest)
      .slice(0, n);
  }

  get size(): number {
    return this.names.length;
  }
}

/** (A + λI) x = y by Gaussian elimination with partial pivoting; λ relative to A's largest diagonal. */
function solve(a: number[][], y: number[]): number[] {
  const n = y.length;
  const diag = Math.max(0, ...a.map((row, i) => row[i]));
  const ridge = Math.max(diag * RIDGE, 1e-9);
  const m = a.map((row, i) => [...row.map((v, j) => v + (i === j ? ridge : 0)), y[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c] || 1e-12;
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / d;
      if (f !== 0) for (let j = c; j <= n; j++) m[r][j] -= f * m[c][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r][n];
    for (let j = r + 1; j < n; j++) sum -= m[r][j] * x[j];
    x[r] = sum / (m[r][r] || 1e-12);
  }
  return x;
}

/**
 * A worker's own requests by route since it started, for "over N" in its recycle's log line; and its last two
 * intervals, so that each interval goes to the pool's table once the one after it has arrived.
 */
export class RouteCounts {
  readonly counts = new Map<string, number>();
  private recent: RouteInterval[] = [];

  /** Take a report; returns the rows it completes (each interval with its neighbours' counts). */
  add(intervals: readonly RouteInterval[]): RouteRow[] {
    const rows: RouteRow[] = [];
    for (const iv of intervals) {
      for (const [route, n] of iv[0]) this.counts.set(route, (this.counts.get(route) ?? 0) + n);
      const cur = this.recent.at(-1);
      if (cur) rows.push([this.recent.length === 2 ? this.recent[0][0] : [], cur[0], iv[0], cur[1]]);
      this.recent.push(iv);
      if (this.recent.length > 2) this.recent.shift();
    }
    return rows;
  }
}

/** `POST /predict (+76 MiB/request over 5), GET /health (+0.0 KiB/request over 40)`: the routes of this worker that grow most. */
export function grownMost(pool: RouteTable, own: RouteCounts, n = 3): string {
  return pool
    .top()
    .filter((r) => own.counts.has(r.route))
    .slice(0, n)
    .map((r) => {
      const per = r.perRequest;
      const figure = Math.abs(per) >= 1024 * 1024 ? `${per > 0 ? '+' : '-'}${mib(Math.abs(per))}/request` : `${per >= 0 ? '+' : '-'}${(Math.abs(per) / 1024).toFixed(1)} KiB/request`;
      return `${r.route} (${figure} over ${own.counts.get(r.route)})`;
    })
    .join(', ');
}
