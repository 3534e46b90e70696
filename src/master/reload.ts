// A graceful reload's succession: new app code in fresh workers, each old worker serving until its successor
// is ready (capacity never dips). The pool starts the successors (Pool.replace → manage); this decides the
// order. `chain`: one slot at a time, the next only once the previous new worker is ready (uWSGI's chain
// reload), and a new worker that fails to start stops the chain. Otherwise every slot at once.
import * as log from '../log.js';
import { notify } from '../sys/systemd.js';
import type { MemorySample } from '../sys/memory.js';
import type { Pool, Replaced } from './pool.js';

export interface Reloaded {
  /** The memory of each new worker that took its slot, as it was ready. */
  readonly fresh: (MemorySample | null)[];
  /** New workers that failed to start (their old workers keep serving). */
  readonly failed: number;
}

/** What a reload asks of the master around replacing the workers. */
export interface ReloadHooks {
  /** Startup is over: reloads are taken. */
  ready(): boolean;
  /** Read and apply the configuration again; null: refused, nothing changed; else what undoes it. */
  reconfigure(why: string): (() => void) | null;
  /** The workers were replaced, or not (`undo` brings the previous configuration back). */
  done(why: string, r: Reloaded, undo: () => void): void;
}

export class Reloader {
  /** A reload is replacing workers; another one waits until it is done. */
  running = false;
  /** The reload asked for while another ran (or before startup ended), and how many asked meanwhile. */
  private queued: { chain: boolean; why: string; asks: number } | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly hooks: ReloadHooks,
  ) {}

  /**
   * A reload asked for while one runs is queued, not dropped: two deploys in a row must not leave half the
   * workers on the older code (issue 10, finding 7). However many arrive meanwhile, one more reload follows,
   * and it reads the files as they are then, so the newest configuration and code win.
   */
  ask(chain: boolean, why: string): void {
    const ready = this.hooks.ready();
    if (!ready || this.running) {
      const asks = (this.queued?.asks ?? 0) + 1;
      this.queued = { chain, why, asks };
      log.info(`reload (${why}) queued: ${ready ? 'a reload is running' : 'still starting'}; it starts once that is done${asks > 1 ? ` (${asks} asked meanwhile: one reload, of the newest files)` : ''}`);
      return;
    }
    const undo = this.hooks.reconfigure(why);
    if (!undo) return this.next();
    notify({ RELOADING: '1', STATUS: `reloading workers (${why})` });
    void this.reload(chain, why).then((r) => {
      this.hooks.done(why, r, undo);
      this.next();
    });
  }

  /** Run the queued reload, if any and if it may run now. */
  next(): void {
    const q = this.queued;
    if (!q || !this.hooks.ready() || this.running) return;
    this.queued = null;
    this.ask(q.chain, `${q.why}, queued`);
  }

  /** Replace the workers now (the pool's successors, in this order). */
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
