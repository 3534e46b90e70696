// The `tsws` commands that run a master: `tsws --ini app.ini` (serve, in the foreground or as a daemon) and
// `tsws --ini app.ini --check`. What serving needs beyond the config loader's checks is checked here, once,
// for both.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { EX_CONFIG } from '../config/errors.js';
import { logEncoder } from '../config/log-format.js';
import { requestLogFile } from '../config/req-logger.js';
import { missingRequired } from '../config/rules.js';
import * as log from '../log.js';
import { forgetDaemonMarker, isDaemon, launchDaemon } from '../sys/daemon.js';
import { configProblem, type Loaded } from '../config/load.js';
import { Master } from '../master/master.js';
import { resolveModule } from '../master/spawner.js';
import { envWith, workerCommand } from '../master/worker-command.js';
import { runningPid } from '../sys/pidfile.js';
import { applyUmask } from '../sys/privileges.js';
import { applyFdLimit } from '../sys/fdlimit.js';

/** Below this many open files, a busy server runs out of connections long before it runs out of CPU. */
const LOW_FD_LIMIT = 1024;

function logFdLimit(fd: ReturnType<typeof applyFdLimit>, maxFd: number): void {
  if (fd.warning) log.warn(fd.warning);
  if (!fd.limit) return;
  const { soft, hard } = fd.limit;
  log.info(`max open files: ${soft} (${maxFd ? `max-fd; hard limit ${hard}` : soft === hard ? 'the hard limit' : `hard limit ${hard}`}); each client connection holds one in the master`);
  if (soft < LOW_FD_LIMIT) log.warn(`max open files ${soft} is low: the master holds one per client connection and 3 per worker; raise LimitNOFILE= in the systemd unit (or the hard ulimit -n)`);
}

/** Change to `chdir`, if set: every relative path from here on (module, pidfile, …) is relative to it. */
function enterChdir(loaded: Loaded): string | null {
  const dir = loaded.config.chdir;
  if (!dir) return null;
  try {
    process.chdir(dir);
    return null;
  } catch (e) {
    return configProblem(loaded, 'chdir', `cannot change to ${dir}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

/**
 * What serving needs beyond what the config loader validates, once enterChdir() has run: the required
 * options, an app module that exists, a max-fd that can be set (it is, here).
 */
function serveProblems(loaded: Loaded, activated: boolean): { problems: string[]; modulePath: string; fd: ReturnType<typeof applyFdLimit> } {
  const cfg = loaded.config;
  const problems: string[] = [];
  problems.push(...missingRequired(cfg, activated).map((e) => e.message));
  const m = cfg.module ? resolveModule(cfg.module, loaded) : null;
  if (m && 'problem' in m) problems.push(m.problem);
  // Set here, in --check too (its own limit, gone with it), so that an impossible max-fd is reported there.
  const fd = applyFdLimit(cfg['max-fd']);
  if (fd.problem) problems.push(configProblem(loaded, 'max-fd', fd.problem));
  return { problems, modulePath: m && 'path' in m ? m.path : '', fd };
}

/** Why `abs` cannot be appended to: opened by `open` when given (serving), else only checked (no file made). */
function appendable(abs: string, open: ((file: string) => void) | null): string | null {
  if (!open) return log.appendProblem(abs);
  try {
    open(abs);
    return null;
  } catch (e) {
    return log.appendProblem(abs) ?? log.errnoText(e); // the check's words say which part is missing
  }
}

/**
 * The log file (daemonize, else logto), resolved against the starting directory (before chdir, as the
 * daemon launcher resolves it): opened now when `open` (the master, which opens it with the rights it was
 * started with, before dropping uid), else only checked (--check, and the daemon launcher, which opens it
 * itself). Unopenable, it is a configuration error naming the option, the path and the errno, not a stack.
 */
function logFileProblem(loaded: Loaded, open: boolean): string | null {
  const cfg = loaded.config;
  const key = cfg.daemonize !== null ? 'daemonize' : 'logto';
  const file = cfg.daemonize ?? cfg.logto;
  if (!file) return null;
  const abs = resolve(file);
  // The daemon's stdout/stderr already go to the daemonize file; opening it as the log lets `l` reopen it.
  const problem = appendable(abs, open ? log.logTo : null);
  return problem && configProblem(loaded, key, `cannot open ${abs} for appending: ${problem}`);
}

/**
 * req-logger's file, as the log file above but resolved against chdir, entered by now (uWSGI opens its file
 * logger after chdir, so a uWSGI file's relative path means the same here). Not looked at when chdir
 * failed: a relative path would then name a file in the wrong directory, and serving stops anyway.
 */
function requestLogProblem(loaded: Loaded, open: boolean): string | null {
  const file = requestLogFile(loaded.config['req-logger']);
  if (!file) return null;
  const abs = resolve(file);
  const problem = appendable(abs, open ? log.requestLogTo : null);
  return problem && configProblem(loaded, 'req-logger', `cannot open ${abs} for appending: ${problem}`);
}

/**
 * `tsws --ini app.ini --check`, as `nginx -t`: every problem with its file and line and exit 78, or exit 0.
 * Nothing starts. conf/tsws.service runs it before each `systemctl reload`, so a broken file fails the reload
 * command itself. `http` may be left to systemd's socket activation, so its absence is only a warning here.
 */
export function checkConfig(loaded: Loaded): number {
  for (const w of loaded.warnings) process.stderr.write(`tsws: warning: ${w}\n`);
  const logProblem = logFileProblem(loaded, false);
  const chdirProblem = enterChdir(loaded);
  const reqLogProblem = chdirProblem ? null : requestLogProblem(loaded, false);
  const { problems, modulePath } = serveProblems(loaded, true);
  problems.unshift(...[logProblem, chdirProblem, reqLogProblem].filter((p) => p !== null));
  if (!problems.length && modulePath) {
    const p = moduleLoadProblem(loaded, modulePath);
    if (p) problems.push(p);
  }
  if (loaded.config.http.length === 0) process.stderr.write('tsws: warning: http is not set: tsws needs it unless systemd passes a listening socket\n');
  if (problems.length) {
    for (const p of problems) process.stderr.write(`tsws: ${p}\n`);
    process.stderr.write(`tsws: ${problems.length} configuration error${problems.length === 1 ? '' : 's'}\n`);
    return EX_CONFIG;
  }
  process.stdout.write(`tsws: configuration OK (${loaded.sources.iniSpecs.join(', ') || 'flags and environment'})\n`);
  return 0;
}

const CHECK_ENTRY = new URL('../worker/check.js', import.meta.url).pathname;
/** How long --check waits for the module to load (its top-level awaits included) before it says so. */
const CHECK_LOAD_MS = 30_000;

/**
 * Load the module in a child the way worker 1 would be started (worker-node-args, env, the listen() hook):
 * a module that workers could not load fails the check with Node's own words. One that is still loading
 * after CHECK_LOAD_MS (a model behind a top-level await) is only a warning.
 */
function moduleLoadProblem(loaded: Loaded, modulePath: string): string | null {
  const cfg = loaded.config;
  const cmd = workerCommand({ env: envWith(process.env, cfg.env), nodeArgs: cfg['worker-node-args'], limitAs: cfg['limit-as'] }, 1, 0, [CHECK_ENTRY, modulePath]);
  const r = spawnSync(cmd.file, cmd.args, { env: cmd.env, encoding: 'utf8', timeout: CHECK_LOAD_MS, killSignal: 'SIGKILL' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    process.stderr.write(`tsws: warning: module: ${modulePath} was still loading after ${CHECK_LOAD_MS / 1000}s; not checked further\n`);
    return null;
  }
  const line = r.status === 0 ? r.stdout.trim().split('\n').pop() : undefined;
  if (!line) {
    const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim();
    return configProblem(loaded, 'module', `a worker could not load ${modulePath}${cfg['worker-node-args'].length ? ` (worker-node-args = ${cfg['worker-node-args'].join(' ')})` : ''}:\n${why}`);
  }
  const found = JSON.parse(line) as { exports: boolean; listened: string | null; why?: string };
  if (found.listened) process.stdout.write(`tsws: module: ${modulePath} calls listen() on ${found.listened}: served through tsws, not bound\n`);
  else if (!found.exports) process.stderr.write(`tsws: warning: module: ${found.why}; nor did it call listen() while loading (a worker waits for it up to TSWS_LISTEN_TIMEOUT)\n`);
  return null;
}

/** `tsws --ini app.ini`: check what only serving needs, then run the master until it stops. */
export async function serve(loaded: Loaded): Promise<number> {
  const cfg = loaded.config;
  const daemon = isDaemon();
  forgetDaemonMarker();
  const launcher = cfg.daemonize !== null && !daemon;
  const startCwd = process.cwd();
  log.setEncoder(logEncoder(cfg['log-encoder'])); // before the first line, the warnings of the loader's
  const logProblem = logFileProblem(loaded, !launcher);
  if (!launcher) for (const w of loaded.warnings) log.warn(w);
  applyUmask(cfg.umask);

  const activated = Number(process.env.LISTEN_PID) === process.pid && Number(process.env.LISTEN_FDS) >= 1;
  const chdirProblem = enterChdir(loaded);
  // Opened by the master (before it drops uid, as the log file), only checked by the daemon launcher.
  const reqLogProblem = chdirProblem ? null : requestLogProblem(loaded, !launcher);
  const { problems, modulePath, fd } = serveProblems(loaded, activated);
  problems.unshift(...[logProblem, chdirProblem, reqLogProblem].filter((p) => p !== null));
  const pidfile = cfg.pidfile ? resolve(cfg.pidfile) : null;
  if (pidfile) {
    const pid = runningPid(pidfile);
    if (pid !== null) problems.push(configProblem(loaded, 'pidfile', `already running (pid ${pid}) according to ${pidfile}`));
  }
  if (problems.length) {
    for (const p of problems) {
      process.stderr.write(`tsws: ${p}\n`);
      if (daemon) log.warn(p);
    }
    log.flushNow();
    return EX_CONFIG;
  }
  // Checked in the launching command first, so that a mistake is reported on its stderr at once.
  if (launcher) return launchDaemon(resolve(startCwd, cfg.daemonize!), startCwd);

  logFdLimit(fd, cfg['max-fd']);
  // bin/tsws run as a command is its own init as PID 1 (its shell part); `node bin/tsws` as PID 1 is not.
  if (process.pid === 1) log.warn('running as PID 1 under node itself: signals are handled, but orphaned processes cannot be reaped (Node has no waitpid(-1)) and stay zombies; start the `tsws` command itself (bin/tsws), whose shell part is the init, or use docker run --init / tini');
  process.title = 'tsws master';
  const master = new Master(loaded, modulePath, pidfile);
  const code = await master.run();
  log.flushNow();
  process.exit(code);
}
