// How operators drive the master: signals, the master fifo and touch files. uWSGI's traps are fixed on
// purpose: SIGTERM stops gracefully (uWSGI 2.0 reloads brutally), SIGUSR2/SIGTTIN/SIGTTOU and other stray
// signals never kill or freeze the master (uWSGI has no handler for them), and every reload is a
// zero-loss chain of new workers behind the same listening socket.
import { constants, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import * as log from '../log.js';
import { StartupError } from '../sys/startup-error.js';

/** What control can ask of the master. */
export interface Controlled {
  gracefulStop(why: string): void;
  quickStop(why: string): void;
  reload(chain: boolean, why: string): void;
  addWorker(): void;
  removeWorker(): void;
  statusTable(): string;
  reopenLog(): void;
}

/** Catchable signals whose default action would kill or stop the master; each is logged and ignored. */
const STRAY: NodeJS.Signals[] = ['SIGUSR2', 'SIGTSTP', 'SIGALRM', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGXCPU', 'SIGXFSZ', 'SIGTRAP', 'SIGSYS'];

export function installSignals(m: Controlled): void {
  process.on('SIGTERM', () => m.gracefulStop('SIGTERM'));
  process.on('SIGINT', () => m.quickStop('SIGINT'));
  process.on('SIGQUIT', () => m.quickStop('SIGQUIT'));
  process.on('SIGHUP', () => m.reload(true, 'SIGHUP'));
  // Also replaces Node's own SIGUSR1 action (starting the inspector on port 9229), which a production
  // master must not do because someone sent the uWSGI "print stats" signal.
  process.on('SIGUSR1', () => log.info(`status (SIGUSR1):\n${m.statusTable()}`));
  process.on('SIGTTIN', () => m.addWorker());
  process.on('SIGTTOU', () => m.removeWorker());
  // V8's sampling profiler (node --cpu-prof / --prof) ticks with SIGPROF: a handler would swallow every tick.
  const profiling = process.execArgv.some((a) => a.startsWith('--cpu-prof') || a === '--prof');
  for (const sig of STRAY) {
    if (sig === 'SIGPROF' && profiling) continue;
    try {
      process.on(sig, () => log.warn(`${sig} ignored (tsws uses TERM, INT, QUIT, HUP, USR1, TTIN and TTOU)`));
    } catch {
      // not a signal on this platform
    }
  }
}

/**
 * uWSGI's master fifo: each byte written is a command. `echo c > /run/app/fifo`.
 *   r, w  reload every worker at once (new worker ready before each old one drains)
 *   c     chain reload: one worker at a time
 *   q     graceful stop        Q  quick stop
 *   s     log the status table +  one worker more   -  one worker less
 *   l     reopen the log files: logto or daemonize, and req-logger (after logrotate moved them)
 *   0-9   make the Nth listed fifo the active one
 * As in uWSGI, with several `master-fifo` paths only the active one (the first, until a digit says
 * otherwise) is read; commands written to the others wait in their pipe until they become active.
 */
export class MasterFifos {
  private readonly fifos: MasterFifo[];
  private active = 0;

  constructor(paths: readonly string[], m: Controlled) {
    this.fifos = paths.map((p, i) => new MasterFifo(p, m, (n) => this.select(n), i === 0));
  }

  get paths(): string[] {
    return this.fifos.map((f) => f.path);
  }

  open(): void {
    for (const f of this.fifos) f.open();
  }

  close(remove: boolean): void {
    for (const f of this.fifos) f.close(remove);
  }

  private select(n: number): void {
    if (n >= this.fifos.length) {
      log.warn(`master-fifo: command ${n}: there is no fifo ${n} (${this.fifos.length} listed, counted from 0)`);
      return;
    }
    if (n === this.active) return;
    this.fifos[this.active].setActive(false);
    this.active = n;
    this.fifos[n].setActive(true);
    log.info(`master-fifo: ${this.fifos[n].path} (fifo ${n}) is now the active one`);
  }
}

class MasterFifo {
  private socket: Socket | null = null;

  constructor(
    readonly path: string,
    private readonly m: Controlled,
    private readonly select: (n: number) => void,
    private active: boolean,
  ) {}

  open(): void {
    if (existsSync(this.path)) {
      if (!statSync(this.path).isFIFO()) throw new StartupError(`master-fifo: ${this.path} exists and is not a fifo`);
    } else {
      const r = spawnSync('mkfifo', ['-m', '0600', this.path], { encoding: 'utf8' });
      if (r.status !== 0) throw new StartupError(`master-fifo: cannot create ${this.path}: ${r.stderr.trim() || r.error?.message}`);
    }
    // Opened read-write so that a writer closing it never means EOF, and non-blocking so that libuv can
    // poll it like a pipe: no thread sits blocked in read().
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.on('data', (b: Buffer) => {
      for (const c of b.toString('latin1')) {
        // Bytes after a switch to another fifo were written to this one, now inactive: they are dropped.
        if (!this.active) break;
        this.command(c);
      }
    });
    this.socket.on('error', (e) => log.warn(`master-fifo ${this.path}: ${e.message}`));
    this.socket.unref();
    if (!this.active) this.socket.pause();
  }

  /** An inactive fifo is not read: what is written to it waits in the pipe. */
  setActive(active: boolean): void {
    this.active = active;
    if (active) this.socket?.resume();
    else this.socket?.pause();
  }

  private command(c: string): void {
    const m = this.m;
    if (c >= '0' && c <= '9') return this.select(Number(c));
    switch (c) {
      case 'r':
      case 'w':
        return m.reload(false, `fifo ${c}`);
      case 'c':
        return m.reload(true, 'fifo c');
      case 'q':
        return m.gracefulStop('fifo q');
      case 'Q':
        return m.quickStop('fifo Q');
      case 's':
        return log.info(`status (fifo s):\n${m.statusTable()}`);
      case '+':
        return m.addWorker();
      case '-':
        return m.removeWorker();
      case 'l':
        return m.reopenLog();
      case '\n':
      case '\r':
      case ' ':
        return;
      default:
        log.warn(`master-fifo: unknown command ${JSON.stringify(c)} (r w c q Q s + - l 0-9)`);
    }
  }

  close(remove: boolean): void {
    this.socket?.destroy();
    if (remove) rmSync(this.path, { force: true });
  }
}

/** touch-reload / touch-chain-reload: a changed mtime (or a file created or deleted) triggers a reload. */
export class TouchFiles {
  private readonly mtimes = new Map<string, number>();

  constructor(
    private readonly files: readonly string[],
    private readonly chain: boolean,
    private readonly m: Controlled,
  ) {
    for (const f of files) this.mtimes.set(f, mtime(f));
  }

  check(): void {
    for (const f of this.files) {
      const now = mtime(f);
      if (now !== this.mtimes.get(f)) {
        this.mtimes.set(f, now);
        this.m.reload(this.chain, `${this.chain ? 'touch-chain-reload' : 'touch-reload'} ${f}`);
        return;
      }
    }
  }
}

function mtime(f: string): number {
  try {
    return statSync(f).mtimeMs;
  } catch {
    return -1;
  }
}

