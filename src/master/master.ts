// The master: owns the router, the pool, and (through control) signals and the pidfile; nothing else.
// It binds the listening socket before any worker exists and keeps it until it exits, so nothing a worker
// does — crash, leak, hang — can take the socket or a queued request with it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EX_CONFIG } from '../config/errors.js';
import type { Loaded, Sources } from '../config/load.js';
import type { Config } from '../config/options.js';
import { parseAddress } from '../config/values.js';
import * as log from '../log.js';
import { routerOptionsFrom } from '../router/options.js';
import { Router } from '../router/router.js';
import { EXIT_LOAD_ERROR } from '../worker/protocol.js';
import { installSignals, MasterFifos, TouchFiles, type Controlled } from './control.js';
import { daemonReady } from '../sys/daemon.js';
import { bind, bindAlso } from '../sys/listen.js';
import { StartupError } from '../sys/startup-error.js';
import { removePidfile, writePidfile } from '../sys/pidfile.js';
import { AppLoadError, Pool, poolOptionsFrom, type PoolOptions } from './pool.js';
import { Reloader, type Reloaded } from './reload.js';
import { noteHeap, ProcessSpawner, spawnOptionsFrom } from './spawner.js';
import { rereadChecked, show } from './reconfigure.js';
import { dropPrivileges, resolvePrivileges } from '../sys/privileges.js';
import { statusTable } from '../stats/status.js';
import { activatedSockets, notify } from '../sys/systemd.js';
import { Stats, type StatsSource } from '../stats/collector.js';
import { startStatsServer } from '../stats/server.js';
import type { Server } from 'node:net';
import { Watchdog } from './watchdog.js';
import { Container } from './container.js';
import { readinessFacts } from './probes.js';

export class Master implements Controlled, StatsSource {
  readonly router: Router;
  readonly pool: Pool;
  private readonly spawner: ProcessSpawner;
  private readonly reloader: Reloader;
  readonly watchdog: Watchdog;
  readonly runtimeDir: string;
  private tick: NodeJS.Timeout | null = null;
  readonly stats = new Stats();
  private statsServer: { server: Server; unixPath: string | null } | null = null;
  readonly container = new Container();
  private readonly fifos: MasterFifos;
  private readonly touches: TouchFiles[];
  readonly startedAt = Date.now();
  private stopping: 'graceful' | 'quick' | null = null;
  private exitCode: ((code: number) => void) | null = null;
  /** Where the router listens, as logged: one per `http` address (or socket systemd passed). */
  boundAddresses: string[] = [];

  cfg: Config;
  private readonly sources: Sources;
  private modulePath: string;
  private warnings: readonly string[];
  /** Where each option was set, for messages that name a line. */
  private setBy: ReadonlyMap<string, string>;
  /** Every worker started once and the limits were checked: reloads are taken from now on. */
  private ready = false;

  constructor(
    loaded: Loaded,
    modulePath: string,
    private readonly pidfile: string | null,
  ) {
    const cfg = (this.cfg = loaded.config);
    this.sources = loaded.sources;
    this.warnings = loaded.warnings;
    this.setBy = loaded.setBy;
    this.modulePath = modulePath;
    // The runtime directory holds the workers' sockets; mkdtemp makes it 0700, so no other user can reach a
    // worker behind the router's back. systemd's RuntimeDirectory= is used when set.
    const parent = process.env.RUNTIME_DIRECTORY ?? process.env.XDG_RUNTIME_DIR ?? tmpdir();
    this.runtimeDir = mkdtempSync(join(existsSync(parent) ? parent : tmpdir(), 'tsws-'));
    this.router = new Router(routerOptionsFrom(cfg, this.runtimeDir), {
      available: () => this.pool.available(),
      drained: (up) => this.pool.drained(up),
      requestEnded: (up, status, micros) => {
        this.stats.requestEnded(status, micros);
        const w = up && this.pool.workerOf(up);
        if (w) this.watchdog.afterRequest(w);
      },
      harakiri: (up, ex) => {
        const w = this.pool.workerOf(up);
        if (w) void this.watchdog.harakiri(w, ex.req.method ?? '-', ex.req.url ?? '-', performance.now() - ex.sentAt);
      },
    });
    this.spawner = new ProcessSpawner(spawnOptionsFrom(cfg, this.modulePath, this.runtimeDir));
    noteHeap(this.spawner.opts, null);
    this.pool = new Pool(this.poolOptions(cfg), this.router, this.spawner);
    this.reloader = new Reloader(this.pool, { ready: () => this.ready, reconfigure: (why) => this.reconfigure(why), done: (why, r, undo) => this.reloaded(why, r, undo) });
    this.watchdog = new Watchdog(cfg, this.pool, (on) => this.router.hold(on));
    this.fifos = new MasterFifos(cfg['master-fifo'].map((f) => resolve(f)), this);
    this.touches = [new TouchFiles(cfg['touch-reload'].map((f) => resolve(f)), false, this), new TouchFiles(cfg['touch-chain-reload'].map((f) => resolve(f)), true, this)];
  }

  private poolOptions(cfg: Config): PoolOptions {
    const w = () => this.watchdog;
    return poolOptionsFrom(cfg, (id) => w().requestLimit(id), () => w().roomForWorker(), (worker, cause) => w().snapshotFor(worker, cause));
  }

  /** The master's own beat: limits and heartbeats of every worker, and the touch files. */
  private startTick(): void {
    if (this.tick) clearInterval(this.tick);
    this.watchdog.beatStarts();
    this.tick = setInterval(() => {
      this.watchdog.poll();
      for (const t of this.touches) t.check();
    }, this.cfg['master-interval'] * 1000);
  }

  /** Bind, start the workers, write the pidfile; resolves with the exit code once the master has stopped. */
  async run(): Promise<number> {
    const done = new Promise<number>((r) => (this.exitCode = r));
    notify({ STATUS: 'binding and starting workers' });
    if (!this.container.fitsAtStartup(this.cfg, this.setBy)) return (this.cleanup(), EX_CONFIG);
    try {
      const [first, ...more] = activatedSockets() ?? this.cfg.http;
      if (first === undefined) throw new StartupError('http: no address to listen on: set http, or let systemd pass a socket (LISTEN_FDS, LISTEN_PID)');
      const backlog = Math.max(1024, this.cfg.listen);
      this.boundAddresses.push(await bind(this.router.server, first, backlog, this.cfg['chmod-socket'], this.cfg['chown-socket']));
      for (const address of more) {
        const { listener, where } = await bindAlso(this.router.server, address, backlog, this.cfg['chmod-socket'], this.cfg['chown-socket']);
        this.router.listeners.push(listener);
        this.boundAddresses.push(where);
      }
      if (this.pidfile) writePidfile(this.pidfile); // before privileges go, and before any worker is ready
      this.fifos.open();
      if (this.cfg.stats) {
        const st = await startStatsServer(this.cfg.stats, this.cfg['stats-http'], this);
        this.statsServer = st;
        log.info(`stats on ${st.where}${this.cfg['stats-http'] ? ' (JSON at /, Prometheus at /metrics)' : ''}`);
      }
      await this.container.startProbes(this.cfg['health-check'], (inDelay) =>
        readinessFacts(this.pool.all, this.router.queued, this.cfg, this.ready, inDelay ? 'delay' : this.stopping && 'stopping'));
      // Privileges go after binding (port 80 needs root) and before any worker exists (they inherit them).
      const to = resolvePrivileges(this.cfg.uid, this.cfg.gid);
      if (to) {
        dropPrivileges(to, [this.runtimeDir, ...this.fifos.paths]);
        log.info(`running as uid ${to.uid} gid ${to.gid}`);
      }
      if (this.cfg.pidfile2) writePidfile(resolve(this.cfg.pidfile2));
    } catch (e) {
      if (!(e instanceof StartupError)) throw e;
      log.warn(e.message);
      this.cleanup();
      return 1;
    }
    for (const where of this.boundAddresses) log.info(`listening on ${where}`);
    log.info(`worker sockets in ${this.runtimeDir} (mode 0700)`);
    installSignals(this);
    try {
      await this.pool.start();
    } catch (e) {
      if (!(e instanceof AppLoadError)) throw e;
      if (this.stopping) return done;
      const hint = this.cfg['limit-as']
        ? `\nlimit-as is ${this.cfg['limit-as'] / 1024 / 1024} MiB: Node needs ~700 MB of address space just to start (and ~10 GB more per WebAssembly memory); raise or remove limit-as, and cap memory with reload-on-rss instead`
        : '';
      log.warn(`the app could not be loaded, stopping (need-app is on): ${e.message}${hint}`);
      return this.abort(EXIT_LOAD_ERROR);
    }
    this.watchdog.setFresh(this.pool.workers().map((w) => w.ownMemory()));
    const impossible = this.impossibleLimits(this.cfg, this.setBy);
    if (impossible.length) {
      for (const p of impossible) log.warn(p);
      return this.abort(EX_CONFIG);
    }
    this.ready = true;
    this.startTick();
    const ready = `${this.pool.processes} worker(s) x ${this.cfg.threads} thread(s) ready on ${this.boundAddresses.join(', ')}`;
    log.info(`tsws ${ready} (master pid ${process.pid})`);
    notify({ READY: '1', STATUS: ready });
    daemonReady();
    this.reloader.next(); // a HUP during startup (a deploy racing a restart) reloads now
    return done;
  }

  /** Startup failed: kill the workers, clean up, and return the exit code. */
  private abort(code: number): number {
    void this.pool.stop('startup failed', true);
    this.router.stop();
    this.cleanup();
    return code;
  }

  /** `app.ini:7: reload-on-rss 50 MiB is below the memory of a fresh worker…`, for limits it would never meet. */
  private impossibleLimits(cfg: Config, setBy: ReadonlyMap<string, string>): string[] {
    const fresh = this.watchdog.freshMemory;
    if (!fresh) return [];
    return Watchdog.impossibleLimits(cfg, fresh).map((p) => `${setBy.get(p.key) ?? 'configuration'}: ${p.key} ${p.problem}`);
  }

  /**
   * Every reload (HUP, --reload, touch files, the fifo) reads the configuration again first (reconfigure.ts).
   * If not one new worker starts under it, the previous configuration comes back. Queued while another runs.
   */
  reload(chain: boolean, why: string): void {
    if (!this.stopping) this.reloader.ask(chain, why);
  }

  private reloaded(why: string, { fresh, failed }: Reloaded, undo: () => void): void {
    if (fresh.length === 0 && failed > 0 && !this.stopping) {
      log.warn(`reload (${why}): no new worker started, so the previous configuration stays in force`);
      undo();
    } else if (fresh.length) {
      // The app may have changed: the new workers' memory is the floor the next limits are checked against.
      this.watchdog.setFresh(fresh);
      for (const p of this.impossibleLimits(this.cfg, this.setBy)) log.warn(`after the reload: ${p}`);
    }
    notify({ READY: '1', STATUS: `${fresh.length} worker(s) reloaded (${why}); ${this.pool.processes} serving` });
  }

  /** Read the configuration again and apply what a reload can: what undoes it, or null (nothing changed) if it has errors. */
  private reconfigure(why: string): (() => void) | null {
    const previous = { cfg: this.cfg, modulePath: this.modulePath, setBy: this.setBy };
    const undo = () => this.cfg !== previous.cfg && this.apply(previous.cfg, previous.modulePath, previous.setBy);
    const checked = rereadChecked(this.cfg, this.sources, (c, setBy) => {
      const fit = this.container.memoryFit(c, setBy);
      return [...this.impossibleLimits(c, setBy), ...(fit && c['memory-fit-check'] ? [fit] : [])];
    });
    if ('errors' in checked) {
      const { errors } = checked;
      for (const m of errors) log.warn(`reload refused: ${m}`);
      log.warn(`reload (${why}) refused: ${errors.length} configuration error${errors.length === 1 ? '' : 's'}; the running workers and configuration stay`);
      notify({ STATUS: 'reload refused: configuration errors (see the log); still serving' });
      return null;
    }
    const { r, modulePath } = checked;
    for (const w of r.loaded.warnings) if (!this.warnings.includes(w)) log.warn(w);
    this.warnings = r.loaded.warnings;
    for (const m of r.needRestart) log.warn(m);
    if (r.applied.length === 0 && modulePath === this.modulePath) return undo;
    log.info(`reload applies ${r.applied.map((n) => `${n} = ${show(r.config[n])}`).join(', ') || `module ${modulePath}`}`);
    this.apply(r.config, modulePath, r.loaded.setBy);
    return undo;
  }

  /** Hand a configuration to every part that reads one: the watchdog, the router, the pool, the tick. */
  private apply(cfg: Config, modulePath: string, setBy: ReadonlyMap<string, string>): void {
    const intervalChanged = cfg['master-interval'] !== this.cfg['master-interval'];
    this.cfg = cfg;
    this.modulePath = modulePath;
    this.setBy = setBy;
    this.watchdog.configure(cfg);
    this.router.configure(routerOptionsFrom(cfg, this.runtimeDir));
    const before = this.spawner.opts;
    this.spawner.opts = spawnOptionsFrom(cfg, this.modulePath, this.runtimeDir);
    noteHeap(this.spawner.opts, before);
    this.pool.configure(this.poolOptions(cfg));
    if (intervalChanged) this.startTick();
  }

  addWorker(): void {
    this.pool.addWorker();
  }

  removeWorker(): void {
    this.pool.removeWorker();
  }

  statusTable(): string {
    return statusTable(this.pool.workers(), this.router.queued, this.router.totalRequests);
  }

  reopenLog(): void {
    log.reopen();
  }

  /** After shutdown-delay (container.ts), stop accepting, let every queued and in-flight request finish (bounded by worker-reload-mercy), exit 0. */
  async gracefulStop(why: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = 'graceful';
    if (!(await this.container.shutdownDelay(this.cfg['shutdown-delay'], why))) return; // a quick stop came
    const mercy = this.cfg['worker-reload-mercy'];
    log.info(`graceful stop (${why}): no new connections; waiting up to ${mercy}s for requests in flight`);
    notify({ STOPPING: '1', STATUS: `stopping gracefully (${why})` });
    const deadline = setTimeout(() => this.quickStop(`worker-reload-mercy ${mercy}s expired`), mercy * 1000);
    await this.router.close();
    await this.pool.stop('graceful stop');
    clearTimeout(deadline);
    this.finish(0);
  }

  /** Stop now: close the socket, kill the workers; requests in flight get 502 from the router. */
  quickStop(why: string): void {
    if (this.stopping === 'quick') return;
    this.stopping = 'quick';
    this.container.cancelDelay();
    log.info(`quick stop (${why})`);
    notify({ STOPPING: '1', STATUS: `quick stop (${why})` });
    this.router.closeListeners();
    void this.pool.stop(why, true).then(() => this.finish(0));
  }

  private finish(code: number): void {
    if (!this.exitCode) return;
    if (this.tick) clearInterval(this.tick);
    this.router.stop();
    this.cleanup();
    log.info(`master (pid ${process.pid}) exiting with ${code}`);
    log.flushNow();
    this.exitCode(code);
    this.exitCode = null;
  }

  private cleanup(): void {
    this.fifos.close(this.cfg.vacuum);
    this.statsServer?.server.close();
    this.container.close();
    if (this.cfg.vacuum && this.statsServer?.unixPath) rmSync(this.statsServer.unixPath, { force: true });
    if (this.pidfile) removePidfile(this.pidfile);
    if (this.cfg.pidfile2) removePidfile(resolve(this.cfg.pidfile2));
    rmSync(this.runtimeDir, { recursive: true, force: true });
    for (const address of this.cfg.vacuum ? this.cfg.http : []) {
      const a = parseAddress(address);
      if (a.kind === 'unix') rmSync(a.path, { force: true });
    }
  }
}
