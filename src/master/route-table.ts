// Memory growth by route, from what workers report (src/worker/route-memory.ts): for each interval between two
// major GCs of a worker, the requests of each route and how much its live memory grew. Growth is modelled as
// bytes kept per request of each route, growth ≈ Σ route_bytes × route_requests, and solved by least squares
// over every interval seen (ridge-regularised, so a route seen in few intervals stays near 0 rather than
// swinging): garbage a route allocates and drops averages out, what it keeps does not. Bounded: MAX_ROUTES
// routes, the rest as "other", so an app with ids in its paths cannot grow it. One table for the pool (stats,
// /metrics); each worker keeps its request counts, so its recycle's log line says "over N" of its own.
import { mib } from '../sys/memory.js';
import type { RouteInterval } from '../worker/protocol.js';

const MAX_ROUTES = 50;
/** Ridge term, relative to the largest diagonal of XᵀX. */
const RIDGE = 1e-6;

export interface RouteRow {
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
  /** XᵀX (row-major, MAX_ROUTES × MAX_ROUTES) and Xᵀy of the regression. */
  private readonly xtx = new Float64Array(MAX_ROUTES * MAX_ROUTES);
  private readonly xty = new Float64Array(MAX_ROUTES);
  private solved: Float64Array | null = null;

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

  add(intervals: readonly RouteInterval[]): void {
    for (const [counts, growth] of intervals) {
      const xs = counts.map(([route, n]) => [this.slot(route), n] as const);
      for (const [i, n] of xs) {
        this.requests[i] += n;
        this.xty[i] += n * growth;
        for (const [j, m] of xs) this.xtx[i * MAX_ROUTES + j] += n * m;
      }
      this.solved = null;
      if (growth <= 0) continue;
      // The counter: this interval's growth shared by each route's estimated part in it (by requests while
      // nothing is estimated to grow).
      const est = this.estimates();
      let weight = 0;
      for (const [i, n] of xs) weight += Math.max(0, est[i]) * n;
      for (const [i, n] of xs) this.grown[i] += weight > 0 ? (growth * Math.max(0, est[i]) * n) / weight : (growth * n) / xs.reduce((s, [, k]) => s + k, 0);
    }
  }

  /** Bytes kept per request of each route: solves (XᵀX + λI) b = Xᵀy by Gaussian elimination (k ≤ 50). */
  private estimates(): Float64Array {
    if (this.solved) return this.solved;
    const k = this.names.length;
    const a = new Float64Array(k * (k + 1));
    let diag = 0;
    for (let i = 0; i < k; i++) diag = Math.max(diag, this.xtx[i * MAX_ROUTES + i]);
    const ridge = Math.max(diag * RIDGE, 1e-9);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) a[i * (k + 1) + j] = this.xtx[i * MAX_ROUTES + j] + (i === j ? ridge : 0);
      a[i * (k + 1) + k] = this.xty[i];
    }
    for (let c = 0; c < k; c++) {
      let p = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(a[r * (k + 1) + c]) > Math.abs(a[p * (k + 1) + c])) p = r;
      if (p !== c) for (let j = 0; j <= k; j++) [a[c * (k + 1) + j], a[p * (k + 1) + j]] = [a[p * (k + 1) + j], a[c * (k + 1) + j]];
      const d = a[c * (k + 1) + c] || 1e-12;
      for (let r = c + 1; r < k; r++) {
        const f = a[r * (k + 1) + c] / d;
        if (f !== 0) for (let j = c; j <= k; j++) a[r * (k + 1) + j] -= f * a[c * (k + 1) + j];
      }
    }
    const b = new Float64Array(k);
    for (let r = k - 1; r >= 0; r--) {
      let s = a[r * (k + 1) + k];
      for (let j = r + 1; j < k; j++) s -= a[r * (k + 1) + j] * b[j];
      b[r] = s / (a[r * (k + 1) + r] || 1e-12);
    }
    return (this.solved = b);
  }

  /** Routes by estimated bytes kept per request, largest first. */
  top(n = MAX_ROUTES): RouteRow[] {
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

/** A worker's own requests by route since it started, for "over N" in its recycle's log line. */
export class RouteCounts {
  readonly counts = new Map<string, number>();
  add(intervals: readonly RouteInterval[]): void {
    for (const [counts] of intervals) for (const [route, n] of counts) this.counts.set(route, (this.counts.get(route) ?? 0) + n);
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
