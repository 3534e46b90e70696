// req-logger (uWSGI's request logger; `logger-req` is its other name): the value in uWSGI's own form,
// `[NAME ]PLUGIN[:ARGS]`, read in one place for the registry's check and for serve.ts, which opens the file,
// so that what --check accepts is what serving does. tsws has the one plugin that fits a file-writing master,
// `file` (and `stdio`, which in uWSGI writes to the log itself); every other uWSGI logger is an error that
// names it, rather than request lines silently going somewhere the file did not ask for.

/** options.ts's CheckProblem, by shape: the registry imports this file, not the other way round. */
interface CheckProblem {
  readonly problem: string;
  readonly accepted: string;
}

const ACCEPTED = 'file:PATH, file:logfile=PATH, or stdio for the log itself';

/** uWSGI's other logger plugins (core and plugins/), and what to do instead. */
const OTHER_LOGGERS: Readonly<Record<string, string>> = {
  syslog: 'run under systemd (request lines on stderr reach the journal, and syslog from there), or give them a file',
  rsyslog: 'ship the req-logger file with your log collector (rsyslog imfile, vector, fluent-bit)',
  systemd: 'run under systemd: without req-logger, request lines on stderr reach the journal',
  socket: 'ship the req-logger file with your log collector',
  fd: 'tsws writes to no inherited descriptor; give request lines a file',
  pipe: 'give request lines a file and read it with your log collector',
  redislog: 'ship the req-logger file with your log collector',
  mongodblog: 'ship the req-logger file with your log collector',
  zeromq: 'ship the req-logger file with your log collector',
  zmq: 'ship the req-logger file with your log collector',
  crypto: 'ship the req-logger file with your log collector',
  graylog2: 'ship the req-logger file with your log collector',
};

type Parsed = { readonly file: string | null } | { readonly problem: CheckProblem };

function bad(problem: string): Parsed {
  return { problem: { problem, accepted: ACCEPTED } };
}

/**
 * uWSGI's reading (core/logging.c): a space first splits off a logger's name, then a colon the plugin's
 * argument. A path may hold spaces here (uWSGI would cut it at the first one), since `file:` comes first.
 */
function parse(value: string): Parsed {
  const v = value.trim();
  const space = v.indexOf(' ');
  const firstWord = space < 0 ? v : v.slice(0, space);
  if (space > 0 && !firstWord.includes(':')) {
    // A named logger takes only the lines a log-req-route sends it (uWSGI skips named loggers otherwise).
    return { problem: { problem: `a named request logger ("${firstWord}") is not supported by tsws: it gets only the lines a log-req-route sends it, and tsws has no log routing`, accepted: ACCEPTED } };
  }
  const colon = v.indexOf(':');
  const plugin = colon < 0 ? v : v.slice(0, colon);
  const arg = colon < 0 ? '' : v.slice(colon + 1).trim();
  if (plugin === 'stdio') return { file: null };
  if (plugin === 'file') return fileArg(arg);
  if (Object.hasOwn(OTHER_LOGGERS, plugin)) {
    return { problem: { problem: `the ${plugin} logger is not supported by tsws: ${OTHER_LOGGERS[plugin]}`, accepted: ACCEPTED } };
  }
  // In uWSGI a bare word names a logger plugin, and a path is no plugin: refused, not guessed, so that the
  // same line means the same in both.
  if (colon < 0 && /[/.]/.test(v)) return bad(`"${v}" is not a logger (uWSGI reads a bare value as a logger plugin's name): write file:${v}`);
  return bad(`"${plugin}" is not a logger uWSGI or tsws knows`);
}

/** The file logger's argument: a path, or uWSGI's key=value form (`logfile=PATH,maxsize=N,backupname=B`). */
function fileArg(arg: string): Parsed {
  if (!arg) return bad('file: is not a logger without a path');
  if (!arg.includes('=')) return { file: arg };
  const kv = new Map<string, string>();
  for (const item of arg.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) return bad(`"${item}" is not a key=value item of file:${arg}`);
    kv.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  for (const key of kv.keys()) {
    if (key === 'maxsize' || key === 'backupname') {
      return { problem: { problem: `rotation by size (${key}=) is not supported by tsws: rotate with logrotate, then write \`l\` to the master-fifo, as docs/deployment.md shows`, accepted: ACCEPTED } };
    }
    if (key !== 'logfile') return bad(`"${key}" is not a key of the file logger (logfile, maxsize, backupname)`);
  }
  const file = kv.get('logfile');
  return file ? { file } : bad(`file:${arg} is not a logger without logfile=PATH`);
}

/** The registry's check: the problem with a req-logger value, if any. */
export function reqLoggerProblems(value: string | null): CheckProblem[] {
  if (value === null) return [];
  const p = parse(value);
  return 'problem' in p ? [p.problem] : [];
}

/** The file request lines go to, or null: with the rest of the log (unset, or `stdio`). For a checked value. */
export function requestLogFile(value: string | null): string | null {
  if (value === null) return null;
  const p = parse(value);
  return 'file' in p ? p.file : null;
}
