// Memory growth by route, from what workers report (src/worker/route-memory.ts): for each interval between two
// major GCs of a worker, the requests of each route that ended in it and how much its live memory grew. A
// request's memory shows up around its own interval: what it allocates may be read at the GC before its end
// (the GC its allocation set off), and what it drops is gone by the GC after. So each interval's growth is
// modelled on the requests that ended in it, in the one before and in the one after:
//   growth(k) ≈ Σ_route a·n(k) + b·n(k−1) + c·n(k+1)
// solved by least squares over every interval seen (ridge-regularised, so a route seen in few intervals stays
// near 0 rather than swinging); a route keeps a + b + c bytes per request. Garbage a route allocates and drops
// shows as +x and −x in neighbouring intervals and cancels; what it keeps does not. Each estimate carries its
// standard error, from the residuals of the same fit: a reading is off by whatever garbage is not swept yet
// when it is taken (±20–40 MB for an app that drops 20 MB Buffers, measured with v8.GCProfiler), so after a few
// intervals a route that keeps nothing can still read +14 MiB/request, and the recycle line must say that it
// cannot tell yet rather than name it (CI runs did). Bounded: MAX_ROUTES routes,
// the rest as "other", so an app with ids in its paths cannot grow it. One table for the pool (stats, /metrics);
// each worker keeps its own request counts, so its recycle's log line says "over N" of its own.
import type { RouteInterval } from '../worker/protocol.js';

const MAX_ROUTES = 50;
/** Lags modelled: the requests that ended in the interval before, in it, and in the one after. */
const LAGS = 3;
const DIM = MAX_ROUTES * LAGS;
/** Ridge term, relative to the largest diagonal of XᵀX. */
const RIDGE = 0.02;
/** The estimates are solved again at most this often (ms): a solve is ~2 M flops at 50 routes. */
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
  /** One standard error of perRequest (bytes; Infinity before there are more intervals than unknowns). */
  readonly error: number;
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
  /** yᵀy and the number of intervals, for the residuals' variance. */
  private yy = 0;
  private intervals = 0;
  private solved: { at: number; perRequest: Float64Array; error: Float64Array } | null = null;

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
      this.yy += growth * growth;
      this.intervals++;
      const own = during.map(([route, n]) => [this.slot(route), n] as const);
      for (const [i, n] of own) this.requests[i] += n;
      if (growth <= 0 || own.length === 0) continue;
      // The counter: this interval's growth shared by its routes' estimated parts (by requests while nothing
      // is estimated to grow).
      const est = this.estimates().perRequest;
      let weight = 0;
      for (const [i, n] of own) weight += Math.max(0, est[i]) * n;
      const total = own.reduce((sum, [, n]) => sum + n, 0);
      for (const [i, n] of own) this.grown[i] += weight > 0 ? (growth * Math.max(0, est[i]) * n) / weight : (growth * n) / total;
    }
  }

  /**
   * Bytes kept per request of each route (a + b + c) and its standard error, solved again at most every
   * SOLVE_EVERY_MS. β = (A + λI)⁻¹Xᵀy with A = XᵀX; the residual variance σ² = (yᵀy − 2βᵀXᵀy + βᵀAβ) / (n − p);
   * a route's variance σ²·wᵀ(A + λI)⁻¹w, w its three lags (which overstates it a little: the ridge shrinks it).
   */
  private estimates(): { perRequest: Float64Array; error: Float64Array } {
    const now = performance.now();
    if (this.solved && now - this.solved.at < SOLVE_EVERY_MS) return this.solved;
    const k = this.names.length;
    const used = Array.from({ length: LAGS * k }, (_, f) => Math.floor(f / k) * MAX_ROUTES + (f % k));
    const a = used.map((i) => used.map((j) => this.xtx[i * DIM + j]));
    const xty = used.map((i) => this.xty[i]);
    const l = cholesky(a);
    const beta = backward(l, forward(l, xty));
    let rss = this.yy;
    for (let f = 0; f < used.length; f++) {
      rss -= 2 * beta[f] * xty[f];
      for (let g = 0; g < used.length; g++) rss += beta[f] * a[f][g] * beta[g];
    }
    const variance = this.intervals > used.length ? Math.max(0, rss) / (this.intervals - used.length) : Infinity;
    const perRequest = new Float64Array(k);
    const error = new Float64Array(k);
    for (let f = 0; f < used.length; f++) perRequest[f % k] += beta[f];
    // wᵀ(A + λI)⁻¹w = |L⁻¹w|², w the route's three lags.
    for (let r = 0; r < k; r++) error[r] = Math.sqrt(variance * forward(l, used.map((_, f) => (f % k === r ? 1 : 0))).reduce((sum, v) => sum + v * v, 0));
    this.solved = { at: now, perRequest, error };
    return this.solved;
  }

  /** Routes by estimated bytes kept per request, largest first. */
  top(n = MAX_ROUTES): RouteFigures[] {
    this.solved = null; // a reader wants the newest figures
    const { perRequest, error } = this.estimates();
    return this.names
      .map((route, i) => ({ route, requests: this.requests[i], perRequest: perRequest[i], error: error[i], grown: this.grown[i] }))
      .sort((a, b) => b.perRequest - a.perRequest)
      .slice(0, n);
  }

  get size(): number {
    return this.names.length;
  }
}

/**
 * The Cholesky factor L of A + λI (L Lᵀ = A + λI; A = XᵀX is symmetric and the ridge makes it positive
 * definite), row-major in one Float64Array; λ relative to A's largest diagonal. At 50 routes (150 unknowns)
 * the factor, β and every route's error take 2.7 ms on Node 20 (1.7–2.1 on 24; bench/route-table.ts), a
 * little less than Gaussian elimination on arrays of arrays took for β alone (2.9–3.0; 2.4–2.6).
 */
function cholesky(a: number[][]): Float64Array {
  const n = a.length;
  const ridge = Math.max(Math.max(0, ...a.map((row, i) => row[i])) * RIDGE, 1e-9);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i][j] + (i === j ? ridge : 0);
      for (let q = 0; q < j; q++) sum -= l[i * n + q] * l[j * n + q];
      l[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / l[j * n + j];
    }
  }
  return l;
}

/** z with L z = b. */
function forward(l: Float64Array, b: readonly number[]): Float64Array {
  const n = b.length;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let q = 0; q < i; q++) sum -= l[i * n + q] * z[q];
    z[i] = sum / l[i * n + i];
  }
  return z;
}

/** x with Lᵀ x = z. */
function backward(l: Float64Array, z: Float64Array): Float64Array {
  const n = z.length;
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i];
    for (let q = i + 1; q < n; q++) sum -= l[q * n + i] * x[q];
    x[i] = sum / l[i * n + i];
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

/**
 * A route stands out when its estimate is this many standard errors above 0. Three, not two: the error assumes
 * independent noise of one size in every interval, and a GC reading's is neither (a Buffer still unswept or
 * not is noise in proportion to the requests that drop Buffers, and neighbouring routes' estimates swing
 * against each other). At two, a CI run's first recycle named GET /clean (+14 ±6 MiB/request), which keeps
 * nothing, before POST /leak (+10 ±6), which keeps 20.
 */
const STANDS_OUT = 3;

/**
 * The clause a memory recycle's log line ends with: the routes of this worker that grow most, those that stand
 * out first, `; grown most by POST /predict (+76 ±3 MiB/request over 5), GET /health (+0.0 ±0.4 KiB/request
 * over 40)`; or, while no route of its stands out from the noise, `; no route stands out yet: …` with the same
 * figures. Empty before the worker reported any interval.
 */
export function grownMost(pool: RouteTable, own: RouteCounts, n = 3): string {
  if (own.counts.size === 0) return '';
  const out = (r: RouteFigures) => r.perRequest - STANDS_OUT * r.error > 0;
  const rows = pool
    .top()
    .filter((r) => own.counts.has(r.route))
    .sort((a, b) => Number(out(b)) - Number(out(a)) || b.perRequest - a.perRequest);
  if (rows.length === 0) return '';
  const list = rows
    .slice(0, n)
    .map((r) => `${r.route} (${perRequestText(r.perRequest, r.error)} over ${own.counts.get(r.route)})`)
    .join(', ');
  return out(rows[0]) ? `; grown most by ${list}` : `; no route stands out yet: ${list}`;
}

/** `+76 ±3 MiB/request`, `-0.2 ±0.4 KiB/request`: the unit the larger of the two needs. */
export function perRequestText(per: number, error: number): string {
  const err = Number.isFinite(error) ? error : 0;
  const inMib = Math.max(Math.abs(per), err) >= 1024 * 1024;
  const unit = inMib ? 1024 * 1024 : 1024;
  const digits = inMib ? 0 : 1;
  const size = (Math.abs(per) / unit).toFixed(digits);
  const sign = per < 0 && Number(size) !== 0 ? '-' : '+'; // no "-0"
  const pm = Number.isFinite(error) ? ` ±${(err / unit).toFixed(digits)}` : ' ±?';
  return `${sign}${size}${pm} ${inMib ? 'MiB' : 'KiB'}/request`;
}
