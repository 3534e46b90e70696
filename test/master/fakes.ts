// Fakes for unit tests of the pool: processes that exit when told, a router that records what it is told,
// and a clock that moves only when the test says so. Nothing here starts a process or a timer.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as log from '../../src/log.js';
import type { Clock, Pool, Routing } from '../../src/master/pool.js';
import type { Spawner } from '../../src/master/spawner.js';
import type { Upstream } from '../../src/router/exchange.js';
import type { ToWorker } from '../../src/worker/protocol.js';

/** Above Linux's largest pid_max (2^22): a fake pid never names a real process (statm and kill find nothing). */
let nextPid = 5_000_000;

export class FakeChild extends EventEmitter {
  readonly pid: number | undefined;
  connected = true;
  readonly sent: ToWorker['type'][] = [];
  readonly signals: string[] = [];
  readonly stdout = null;
  readonly stderr = null;
  constructor(started: boolean) {
    super();
    this.pid = started ? nextPid++ : undefined;
  }
  send(m: ToWorker, cb?: (e: Error | null) => void): boolean {
    this.sent.push(m.type);
    cb?.(null);
    return true;
  }
  kill(signal: string): boolean {
    this.signals.push(signal);
    return true;
  }
  ready(): void {
    this.emit('message', { type: 'ready' });
  }
  exit(code: number | null, signal: string | null = null): void {
    this.connected = false;
    this.emit('exit', code, signal);
  }
}

export class FakeSpawner implements Spawner {
  readonly children: FakeChild[] = [];
  /** Starts that fail from now on (EMFILE). */
  failing = false;
  spawn(id: number, generation: number): { child: ChildProcess; socketPath: string } {
    const child = new FakeChild(!this.failing);
    if (this.failing) queueMicrotask(() => child.emit('error', Object.assign(new Error('spawn EMFILE'), { code: 'EMFILE' })));
    this.children.push(child);
    return { child: child as unknown as ChildProcess, socketPath: `/nonexistent/w${id}.${generation}.sock` };
  }
  reap(): void {}
  afterOutput(_child: ChildProcess, then: () => void): void {
    then();
  }
  /** The children not yet exited, in spawn order. */
  get live(): FakeChild[] {
    return this.children.filter((c) => c.connected && c.pid !== undefined);
  }
}

/** Records what the pool tells it; like the real router, reports a drained worker at once when it is idle. */
export class FakeRouter implements Routing {
  readonly serving = new Set<Upstream>();
  readonly calls: string[] = [];
  pool: Pool | null = null;
  add(up: Upstream): void {
    this.calls.push(`add ${up.id}`);
    this.serving.add(up);
  }
  drain(up: Upstream): void {
    this.calls.push(`drain ${up.id}`);
    this.serving.delete(up);
    if (up.exchanges.length === 0) this.pool?.drained(up);
  }
  pause(up: Upstream): void {
    this.serving.delete(up);
  }
  resume(up: Upstream): void {
    this.serving.add(up);
  }
  remove(up: Upstream): void {
    this.serving.delete(up);
  }
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private timers: { at: number; f: () => void; id: number }[] = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(f: () => void, ms: number): NodeJS.Timeout {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, f, id });
    return id as unknown as NodeJS.Timeout;
  }
  clearTimeout(t: NodeJS.Timeout): void {
    this.timers = this.timers.filter((x) => x.id !== (t as unknown as number));
  }
  /** Move time on by `ms`, running each timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.f();
    }
    this.t = until;
  }
  /** When the next timer is due, ms from now (Infinity: none). */
  get nextIn(): number {
    return Math.min(Infinity, ...this.timers.map((x) => x.at - this.t));
  }
}

/** Send the pool's log to a file of its own; `lines()` reads it back. */
export function captureLog(): { lines(): string[] } {
  const file = join(mkdtempSync(join(tmpdir(), 'tsws-unit-')), 'log');
  log.logTo(file);
  return {
    lines() {
      log.flushNow();
      return readFileSync(file, 'utf8').split('\n').filter(Boolean);
    },
  };
}
