// A graceful reload's succession: new app code in fresh workers, each old worker serving until its successor
// is ready (capacity never dips). The pool starts the successors (Pool.replace → manage); this decides the
// order. `chain`: one slot at a time, the next only once the previous new worker is ready (uWSGI's chain
// reload), and a new worker that fails to start stops the chain. Otherwise every slot at once.
import * as log from '../log.js';
import type { MemorySample } from '../sys/memory.js';
import type { Pool, Replaced } from './pool.js';

export interface Reloaded {
  /** The memory of each new worker that took its slot, as it was ready. */
  readonly fresh: (MemorySample | null)[];
  /** New workers that failed to start (their old workers keep serving). */
  readonly failed: number;
}

export class Reloader {
  /** A reload is replacing workers; another one waits until it is done (the master queues it). */
  running = false;

  constructor(private readonly pool: Pool) {}

  async reload(chain: boolean, why: string): Promise<Reloaded> {
    this.running = true;
    const old = this.pool.serving();
    log.info(`${chain ? 'chain ' : ''}reload of ${old.length} worker(s): ${why}`);
    this.pool.renewSpares(`replaced by the reload (${why})`); // spares of the old code must not take a slot
    const results: Replaced[] = [];
    try {
      if (chain) {
        for (const w of old) {
          if (w.state !== 'serving') continue; // recycled meanwhile: its replacement runs the new code already
          const r = await this.pool.replace(w, why);
          results.push(r);
          if (r.outcome === 'failed') break;
        }
      } else {
        results.push(...(await Promise.all(old.map((w) => this.pool.replace(w, why)))));
      }
    } finally {
      this.running = false;
    }
    const fresh = results.filter((r) => r.outcome === 'replaced').map((r) => r.memory);
    const failed = results.filter((r) => r.outcome === 'failed').length;
    log.info(`reload done: ${fresh.length} of ${old.length} worker(s) replaced`);
    return { fresh, failed };
  }
}
