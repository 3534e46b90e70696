// The rules of a worker's life as data, apart from the pool that applies them: which state may follow which,
// and how long a failing slot waits before its next start. Pure, so unit tests check them without processes.
import type { WorkerState } from './worker-handle.js';

/** The edges of the state machine; anything else is refused (a second recycle of a draining worker, say). */
const EDGES: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  spawning: ['serving', 'standby', 'stopping', 'gone'],
  standby: ['serving', 'stopping', 'gone'],
  serving: ['draining', 'stopping', 'gone'],
  draining: ['stopping', 'gone'],
  stopping: ['gone'],
  gone: [],
};

export function canMove(from: WorkerState, to: WorkerState): boolean {
  return EDGES[from].includes(to);
}

/** Consecutive failures before backoff starts, and its first and longest delays. */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 30_000;
/** A worker that served this long resets its slot's failure count. */
export const STABLE_AFTER_MS = 10_000;

/** A slot's failure count after a failure of a worker that served for `livedMs` (0: never ready). */
export function failuresAfter(previous: number, livedMs: number): number {
  return livedMs > STABLE_AFTER_MS ? 1 : previous + 1;
}

/** The wait before the next start after `failures` failures in a row: none for the first, then 250 ms doubling to 30 s. */
export function backoffMs(failures: number): number {
  return failures <= 1 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 2));
}
