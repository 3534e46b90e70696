// The master: owns the router, the pool, and (through control) signals and the pidfile; nothing else.
// It binds the listening socket before any worker exists and keeps it until it exits, so nothing a worker
// does — crash, leak, hang — can take the socket or a queued request with it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EX_CONFIG } from '../config/errors.js';
import type { Loaded } from '../config/load.js';
import type { Config } from '../config/options.js';
import { parseAddress } from '../config/values.js';
import * as log from '../log.js';
import { compileFormat, defaultFormat } from '../router/logline.js';
import { Router } from '../router/router.js';
import { splitModuleSpec } from '../worker/app.js';
import { EXIT_LOAD_ERROR } from '../worker/protocol.js';
import { BindError, bind } from './listen.js';
import { removePidfile, runningPid, writePidfile } from './pidfile.js';
import { AppLoadError, Pool } from './pool.js';
import { Watchdog } from './watchdog.js';

export class Master {
  readonly router: Router;
  readonly pool: Pool;
  readonly watchdog: Watchdog;
  readonly runtimeDir: string;
  private tick: NodeJS.Timeout | null = null;
  readonly startedAt = Date.now();
  private stopping: 'graceful' | 'quick' | null = null;
  private exitCode: ((code: number) => void) | null = null;
  boundAddress = '';

  constructor(
    readonly cfg: Config,
    private readonly modulePath: string,
    private readonly pidfile: string | null,
  ) {
    // The runtime directory holds the workers' sockets; mkdtemp makes it 0700, so no other user can reach a
    // worker behind the router's back. systemd's RuntimeDirectory= is used when set.
    const parent = process.env.RUNTIME_DIRECTORY ?? process.env.XDG_RUNTIME_DIR ?? tmpdir();
    this.runtimeDir = mkdtempSync(join(existsSync(parent) ? parent : tmpdir(), 'tsws-'));
    const format = cfg['log-format'];
    this.router = new Router(
      {
        threads: cfg.threads,
        listen: cfg.listen,
        httpTimeoutMs: cfg['http-timeout'] * 1000,
        harakiriMs: cfg.harakiri * 1000,
        maxHeaderSize: cfg['buffer-size'],
        forwardedAllow: new Set(cfg['forwarded-allow-ips'].flatMap((s) => s.split(',').map((x) => x.trim()))),
        logLine: cfg['disable-logging'] ? null : format ? compileFormat(format) : defaultFormat,
        log: log.requestLine,
      },
      {
        available: () => this.pool.available(),
        drained: (up) => this.pool.drained(up),
        requestEnded: (up) => {
          const w = this.pool.workerOf(up);
          if (w) this.watchdog.afterRequest(w);
        },
        harakiri: (up, ex) => {
          const w = this.pool.workerOf(up);
          if (w) void this.watchdog.harakiri(w, ex.req.method ?? '-', ex.req.url ?? '-', performance.now() - ex.sentAt);
        },
      },
    );
    this.pool = new Pool(
      {
        processes: cfg.processes,
        module: modulePath,
        env: workerEnv(cfg),
        runtimeDir: this.runtimeDir,
        maxHeaderSize: cfg['buffer-size'],
        mercyMs: cfg['worker-reload-mercy'] * 1000,
        needApp: cfg['need-app'],
        limitAs: cfg['limit-as'],
        requestLimit: (id) => this.watchdog.requestLimit(id),
      },
      this.router,
    );
    this.watchdog = new Watchdog(cfg, this.pool);
  }

  /** Bind, start the workers, write the pidfile; resolves with the exit code once the master has stopped. */
  async run(): Promise<number> {
    const done = new Promise<number>((r) => (this.exitCode = r));
    try {
      this.boundAddress = await bind(this.router.server, this.cfg.http!, Math.max(1024, this.cfg.listen), this.cfg['chmod-socket']);
    } catch (e) {
      if (!(e instanceof BindError)) throw e;
      log.warn(e.message);
      this.cleanup();
      return 1;
    }
    log.info(`listening on ${this.boundAddress}`);
    log.info(`worker sockets in ${this.runtimeDir} (mode 0700)`);
    this.installSignals();
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
    const impossible = this.watchdog.impossibleLimits(this.pool.workers());
    if (impossible.length) {
      for (const p of impossible) log.warn(`configuration: ${p}`);
      return this.abort(EX_CONFIG);
    }
    this.tick = setInterval(() => this.watchdog.poll(), this.cfg['master-interval'] * 1000);
    if (this.pidfile) writePidfile(this.pidfile);
    log.info(`tsws ${this.cfg.processes} worker(s) x ${this.cfg.threads} thread(s) ready on ${this.boundAddress} (master pid ${process.pid})`);
    return done;
  }

  /** Startup failed: kill the workers, clean up, and return the exit code. */
  private abort(code: number): number {
    this.pool.killAll('startup failed');
    this.router.stop();
    this.cleanup();
    return code;
  }

  private installSignals(): void {
    process.on('SIGTERM', () => void this.gracefulStop('SIGTERM'));
    process.on('SIGINT', () => this.quickStop('SIGINT'));
    process.on('SIGQUIT', () => this.quickStop('SIGQUIT'));
  }

  /** Stop accepting, let every queued and in-flight request finish (bounded by worker-reload-mercy), exit 0. */
  async gracefulStop(why: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = 'graceful';
    const mercy = this.cfg['worker-reload-mercy'];
    log.info(`graceful stop (${why}): no new connections; waiting up to ${mercy}s for requests in flight`);
    const deadline = setTimeout(() => this.quickStop(`worker-reload-mercy ${mercy}s expired`), mercy * 1000);
    await this.router.close();
    await this.pool.stopAll('graceful stop');
    clearTimeout(deadline);
    this.finish(0);
  }

  /** Stop now: close the socket, kill the workers; requests in flight get 502 from the router. */
  quickStop(why: string): void {
    if (this.stopping === 'quick') return;
    this.stopping = 'quick';
    log.info(`quick stop (${why})`);
    this.router.server.close();
    this.pool.killAll(why);
    void this.pool.stopAll('quick stop').then(() => this.finish(0));
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
    if (this.pidfile) removePidfile(this.pidfile);
    rmSync(this.runtimeDir, { recursive: true, force: true });
    const http = this.cfg.http ? parseAddress(this.cfg.http) : null;
    if (this.cfg.vacuum && http?.kind === 'unix') rmSync(http.path, { force: true });
  }
}

/** The workers' environment: the master's, then every `env = K=V` in order (a later one wins, as uWSGI). */
function workerEnv(cfg: Config): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const kv of cfg.env) {
    const i = kv.indexOf('=');
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

function configProblem(loaded: Loaded, key: keyof Config, problem: string): string {
  const where = loaded.setBy.get(key) ?? 'configuration';
  return `${where}: ${key}: ${problem}`;
}

/** `tsws --ini app.ini`: check what only serving needs, then run the master until it stops. */
export async function serve(loaded: Loaded): Promise<number> {
  const cfg = loaded.config;
  if (cfg.logto) log.logTo(resolve(cfg.logto));
  for (const w of loaded.warnings) log.warn(w);

  const problems: string[] = [];
  if (!cfg.module) problems.push('configuration: module: required (module = path/to/app.js)');
  if (!cfg.http) problems.push('configuration: http: required (http = 127.0.0.1:8000, :8000 or a unix socket path)');
  if (cfg.chdir) {
    try {
      process.chdir(cfg.chdir);
    } catch (e) {
      problems.push(configProblem(loaded, 'chdir', `cannot change to ${cfg.chdir}: ${(e as NodeJS.ErrnoException).code}`));
    }
  }
  // Every relative path is relative to chdir when it is set (it is applied first), else to the cwd.
  let modulePath = '';
  if (cfg.module) {
    const { path, exportName } = splitModuleSpec(cfg.module);
    modulePath = resolve(path);
    if (!existsSync(modulePath)) problems.push(configProblem(loaded, 'module', `${modulePath} does not exist`));
    if (exportName) modulePath += `:${exportName}`;
  }
  const pidfile = cfg.pidfile ? resolve(cfg.pidfile) : null;
  if (pidfile) {
    const pid = runningPid(pidfile);
    if (pid !== null) problems.push(configProblem(loaded, 'pidfile', `already running (pid ${pid}) according to ${pidfile}`));
  }
  if (problems.length) {
    for (const p of problems) process.stderr.write(`tsws: ${p}\n`);
    log.flushNow();
    return EX_CONFIG;
  }

  process.title = 'tsws master';
  const master = new Master(cfg, modulePath, pidfile);
  const code = await master.run();
  log.flushNow();
  process.exit(code);
}
