// Logs never kill (issue 10, finding 2): a log reopen that fails, an unopenable log at start, a stalled
// stderr reader and a full disk. Figures are summarized in docs/reliability.md.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { APPS, freePort, load, request, runTsws, startTsws, tempDir, waitFor, type Tsws } from '../helpers/tsws.js';

const probe = `module = ${APPS}/probe.js`;
const asRoot = process.getuid?.() === 0;
/** A request line of ~2 KiB (the URI is logged): 1,000 of them overflow the 1 MiB backlog twice over. */
const PAD = `/pid?pad=${'p'.repeat(2000)}`;

/** What the master's fd on `file` holds, read through /proc (the file may be renamed or deleted by now). */
function masterView(t: Tsws, file: string): string {
  if (t.proc.exitCode !== null) throw new Error(`the master exited (${t.proc.exitCode})`);
  for (const fd of readdirSync(`/proc/${t.pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${t.pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target === file || target === `${file} (deleted)`) return readFileSync(`/proc/${t.pid}/fd/${fd}`, 'utf8');
  }
  return '';
}

async function serving(t: Tsws): Promise<void> {
  const r = await request(`${t.url}/pid`);
  assert.equal(r.status, 200);
  assert.equal(t.proc.exitCode, null, 'the master is alive');
}

test('finding 2: log reopen: a removed log directory keeps the old file and the master serving; once it is back, a reopen works', async () => {
  const dir = tempDir();
  const logdir = join(dir, 'logs');
  mkdirSync(logdir);
  const logfile = join(logdir, 'tsws.log');
  const fifo = join(dir, 'master.fifo');
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmaster-fifo = ${fifo}\nlogto = ${logfile}`, waitReady: false });
  const m = await waitFor('ready', () => existsSync(logfile) && /listening on (\S+)[\s\S]*ready on/.exec(readFileSync(logfile, 'utf8')));
  t.url = m[1];
  await serving(t);
  rmSync(logdir, { recursive: true });
  writeFileSync(fifo, 'l');
  // The failure is logged once, in the file still open (deleted now, read through the master's fd).
  const failed = await waitFor('the failed reopen in the old file', () => /cannot reopen .*tsws\.log: ENOENT.*\n/.exec(masterView(t, logfile)));
  assert.match(failed[0], /still writing to the file opened before/);
  await serving(t);
  await waitFor('the request line in the old file', () => masterView(t, logfile).includes('GET /pid =>'));
  assert.equal(masterView(t, logfile).match(/cannot reopen/g)?.length, 1, 'logged once');
  mkdirSync(logdir);
  writeFileSync(fifo, 'l');
  await waitFor('a new log file', () => existsSync(logfile) && readFileSync(logfile, 'utf8').includes('log reopened'));
  await serving(t);
  await waitFor('the next request line in the new file', () => readFileSync(logfile, 'utf8').includes('GET /pid =>'));
  assert.equal(await t.stop(), 0);
});

test('finding 2: log reopen: a new file the master may not open (EACCES, as logrotate creates it for root) keeps the old file and the master serving', async () => {
  const dir = tempDir();
  const logfile = join(dir, 'tsws.log');
  const fifo = join(dir, 'master.fifo');
  // As root the master drops to nobody (a file root owns with 0600 is then closed to it); as another user,
  // a file of mode 000 is closed to its owner too.
  if (asRoot) chmodSync(dir, 0o711);
  const privileges = asRoot ? '\nuid = nobody\ngid = nogroup' : '';
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmaster-fifo = ${fifo}\nlogto = ${logfile}${privileges}`, waitReady: false });
  const m = await waitFor('ready', () => existsSync(logfile) && /listening on (\S+)[\s\S]*ready on/.exec(readFileSync(logfile, 'utf8')));
  t.url = m[1];
  renameSync(logfile, `${logfile}.1`); // logrotate: rotate, then `create 0600 root root`
  writeFileSync(logfile, '');
  chmodSync(logfile, asRoot ? 0o600 : 0o000);
  writeFileSync(fifo, 'l');
  await waitFor('the failed reopen in the old file', () => /cannot reopen .*tsws\.log: EACCES/.test(readFileSync(`${logfile}.1`, 'utf8')));
  await serving(t);
  await waitFor('the request line in the old file', () => readFileSync(`${logfile}.1`, 'utf8').includes('GET /pid =>'));
  assert.equal(readFileSync(logfile, 'utf8'), '', 'nothing in the file it could not open');
  // The operator fixes the owner: the next reopen works.
  if (asRoot) chownSync(logfile, Number(spawnSync('id', ['-u', 'nobody']).stdout.toString()), 0);
  else chmodSync(logfile, 0o640);
  writeFileSync(fifo, 'l');
  await waitFor('the reopened log', () => readFileSync(logfile, 'utf8').includes('log reopened'));
  await serving(t);
  assert.equal(await t.stop(), 0);
});

test('finding 2: log at start: an unopenable logto or daemonize is one line naming the option, the path and the errno (exit 78, no stack), and --check fails too', async () => {
  const dir = tempDir();
  const cases = [
    { key: 'logto', path: join(dir, 'no-such-dir', 'tsws.log'), errno: /ENOENT \(no directory .*no-such-dir\)/ },
    { key: 'daemonize', path: dir, errno: /EISDIR/ },
  ];
  for (const c of cases) {
    const t = await startTsws({ ini: `${probe}\n${c.key} = ${c.path}`, waitReady: false });
    assert.equal(await t.exited, 78, t.output());
    const lines = t.output().trimEnd().split('\n');
    assert.equal(lines.length, 1, t.output());
    assert.match(lines[0], new RegExp(`^tsws: \\S*app\\.ini:\\d+: ${c.key}: cannot open ${c.path} for appending: `));
    assert.match(lines[0], c.errno);
    assert.doesNotMatch(t.output(), /^\s+at /m, 'no stack');
    const check = await runTsws(['--ini', join(t.dir, 'app.ini'), '--check'], { cwd: t.dir });
    assert.equal(check.code, 78, check.out);
    assert.match(check.stderr, new RegExp(`${c.key}: cannot open ${c.path} for appending: `));
    assert.doesNotMatch(check.stdout, /configuration OK/);
  }
  assert.ok(!existsSync(join(dir, 'no-such-dir')));
});

test('finding 2: log backlog: with stderr not read, lines beyond the bound are dropped whole, counted in stats and marked in the log', async (ctx) => {
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nstats = 127.0.0.1:0\nstats-http = true` });
  const stats = `http://127.0.0.1:${(await t.waitForLog(/stats on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
  const before = t.output();
  t.proc.stderr!.pause(); // nobody reads: Node's buffer and the pipe fill, then the master's writes get EAGAIN
  const sent = 1000;
  const r = await load(t.url, { clients: 8, count: sent, path: PAD });
  assert.equal(r.ok, sent, JSON.stringify(r));
  const doc = JSON.parse((await request(stats)).body);
  const dropped = doc.tsws.log_lines_dropped;
  assert.ok(dropped > 0, `dropped ${dropped}`);
  const prom = (await request(`${stats}/metrics`)).body;
  assert.match(prom, new RegExp(`^tsws_log_lines_dropped_total ${dropped}$`, 'm'));
  t.proc.stderr!.resume();
  await t.waitForLog(/tsws: warning: \d+ log lines dropped \(EAGAIN writing to stderr; backlog of 1024 KiB full\)\n/);
  await serving(t);
  const total = JSON.parse((await request(stats)).body).tsws.log_lines_dropped as number;
  const out = t.output().slice(before.length);
  // Each gap has its marker (one here, unless the reader came back in steps), and they add up to the count.
  const markers = [...out.matchAll(/tsws: warning: (\d+) log lines? dropped/g)].map((x) => Number(x[1]));
  assert.equal(markers.reduce((a, b) => a + b, 0), total, out.slice(-2000));
  // Every line is whole: a request line, or one of the master's own; and each request is either logged
  // or counted as dropped (the count may also hold a warning of the master's, dropped alike).
  const lines = out.split('\n').slice(0, -1);
  const isRequest = (l: string) => /^\[pid: \d+\|wid: \d\|req: \d+\/\d+\] 127\.0\.0\.1 GET \/pid(\?pad=p{2000})? => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\)$/.test(l);
  assert.deepEqual(lines.filter((l) => !isRequest(l) && !/^\S+Z tsws: /.test(l)), [], 'only whole lines');
  const logged = lines.filter((l) => l.includes('pad=')).length;
  assert.ok(logged < sent && sent - logged <= total && total - (sent - logged) <= 5, `${logged} of ${sent} logged, ${total} dropped`);
  ctx.diagnostic(`figure: stderr not read during ${sent} requests (~2 KiB lines): ${logged} lines written once read, ${total} dropped and marked`);
  // The first marker sits where its gap is: the request lines after it ended ~hundreds of requests later.
  const at = lines.findIndex((l) => l.includes('log lines dropped'));
  const req = (l: string | undefined) => Number(/req: \d+\/(\d+)/.exec(l ?? '')?.[1]);
  const prev = lines.slice(0, at).reverse().find(isRequest);
  const next = lines.slice(at + 1).find(isRequest);
  if (prev && next) assert.ok(req(next) > req(prev) + markers[0] / 2, `${prev}\n${lines[at]}\n${next}`);
  await serving(t);
  assert.equal(await t.stop(), 0);
});

test('finding 2: log backlog: logto = /dev/full (a full disk): the master serves, counts the dropped lines and never crashes', async (ctx) => {
  // Nothing reaches the log, not even "listening on": the ports are chosen here.
  const [httpPort, statsPort] = [await freePort(), await freePort()];
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nhttp = 127.0.0.1:${httpPort}\nlogto = /dev/full\nstats = 127.0.0.1:${statsPort}\nstats-http = true`, waitReady: false });
  t.url = `http://127.0.0.1:${httpPort}`;
  const stats = `http://127.0.0.1:${statsPort}`;
  const dropped = async () => JSON.parse((await request(stats)).body).tsws.log_lines_dropped as number;
  await waitFor('2 workers serving', async () => {
    const doc = await request(stats).then((r) => JSON.parse(r.body)).catch(() => null);
    return doc?.workers.filter((w: { accepting: number }) => w.accepting).length === 2;
  });
  const r1 = await load(t.url, { clients: 8, count: 1000, path: PAD });
  assert.equal(r1.ok, 1000, JSON.stringify(r1));
  const d1 = await dropped();
  assert.ok(d1 > 0, `dropped ${d1}`);
  const r2 = await load(t.url, { clients: 8, count: 200, path: PAD });
  assert.equal(r2.ok, 200, JSON.stringify(r2));
  const d2 = await waitFor('more dropped lines', async () => {
    const d = await dropped();
    return d >= d1 + 200 && d;
  });
  assert.match((await request(`${stats}/metrics`)).body, new RegExp(`^tsws_log_lines_dropped_total ${d2}$`, 'm'));
  assert.equal(t.proc.exitCode, null, 'the master is alive');
  ctx.diagnostic(`figure: logto = /dev/full: 1,200 of 1,200 requests answered 200, ${d1} then ${d2} lines dropped`);
  assert.equal(await t.stop(), 0);
});

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

test('finding 2: log backlog: a log file that stops growing mid-line (a full disk: partial writes) keeps every line whole and marks the gap', { skip: !hasPrlimit && 'needs prlimit (util-linux)' }, async (ctx) => {
  const dir = tempDir();
  const logfile = join(dir, 'tsws.log');
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nlogto = ${logfile}\nstats = 127.0.0.1:0\nstats-http = true`, waitReady: false });
  const text = () => readFileSync(logfile, 'utf8');
  const m = await waitFor('ready', () => existsSync(logfile) && /stats on (\S+) [\s\S]*listening on (\S+)[\s\S]*ready on/.exec(text()));
  t.url = m[2];
  // A file size limit acts as a full disk: the write that crosses it is cut short, the next ones fail
  // (EFBIG, where a disk says ENOSPC). 50,001 bytes more: the cut falls inside a line.
  const limit = (v: string) => assert.equal(spawnSync('prlimit', ['--pid', String(t.pid), `--fsize=${v}`]).status, 0);
  limit(`${statSync(logfile).size + 50_001}:unlimited`);
  const sent = 1000;
  const r = await load(t.url, { clients: 8, count: sent, path: PAD });
  assert.equal(r.ok, sent, JSON.stringify(r));
  const droppedNow = async () => JSON.parse((await request(m[1])).body).tsws.log_lines_dropped as number;
  assert.ok((await droppedNow()) > 0);
  limit('unlimited:unlimited'); // space again
  await waitFor('the dropped-lines marker', () => /tsws: warning: \d+ log lines dropped \(EFBIG writing to \S+tsws\.log; backlog of 1024 KiB full\)\n/.test(text()));
  await serving(t);
  const dropped = await droppedNow();
  assert.equal(await t.stop(), 0);
  // Each gap has its marker, and together they count every dropped line (request lines and the master's
  // own warnings about SIGXFSZ, which the kernel sends with each refused write).
  const markers = [...text().matchAll(/tsws: warning: (\d+) log lines? dropped/g)].map((x) => Number(x[1]));
  assert.equal(markers.reduce((a, b) => a + b, 0), dropped, text().slice(-2000));
  const lines = text().split('\n').slice(0, -1);
  const requestLines = lines.filter((l) => /^\[pid: \d+\|wid: \d\|req: \d+\/\d+\] 127\.0\.0\.1 GET \/pid(\?pad=p{2000})? => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\)$/.test(l));
  assert.deepEqual(lines.filter((l) => !requestLines.includes(l) && !/^\S+Z tsws: /.test(l)), [], 'only whole lines');
  const logged = requestLines.filter((l) => l.includes('pad=')).length;
  ctx.diagnostic(`figure: log file limited 50,001 bytes on: ${logged} of ${sent} request lines written, ${dropped} lines dropped in ${markers.length} marked gap(s), every line whole`);
  assert.ok(logged < sent && sent - logged <= dropped, `${logged} of ${sent} request lines logged, ${dropped} lines dropped`);
});

// req-logger's file follows the same rules as the log file: reopened by `l`, a failed reopen or open says why
// and kills nothing, a full disk there drops request lines and never the master nor the rest of the log.

const requestLine = /^\[pid: \d+\|wid: 1\|req: \d+\/\d+\] 127\.0\.0\.1 GET \/pid => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\)$/;
const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const lineCount = (file: string) => read(file).split('\n').length - 1;

test('req-logger rotation: after a rename and `l`, request lines go to a fresh file and the log to its own; the renamed files keep what came before', async () => {
  const dir = tempDir();
  const logfile = join(dir, 'tsws.log');
  const reqfile = join(dir, 'requests.log');
  const fifo = join(dir, 'master.fifo');
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmaster-fifo = ${fifo}\nlogto = ${logfile}\nreq-logger = file:${reqfile}`, waitReady: false });
  t.url = (await waitFor('ready', () => /listening on (\S+)[\s\S]*ready on/.exec(read(logfile))))[1];
  await serving(t);
  await waitFor('the first request line', () => lineCount(reqfile) === 1);
  renameSync(logfile, `${logfile}.1`); // logrotate: rename both, then `l` (postrotate)
  renameSync(reqfile, `${reqfile}.1`);
  writeFileSync(fifo, 'l');
  await waitFor('both files reopened', () => /log reopened\n[\s\S]*request log reopened: \S+requests\.log\n/.test(read(logfile)));
  await serving(t);
  await serving(t);
  await waitFor('2 request lines in the fresh file', () => lineCount(reqfile) === 2);
  assert.equal(t.proc.exitCode, null);
  for (const l of read(reqfile).trimEnd().split('\n')) assert.match(l, requestLine);
  assert.equal(lineCount(`${reqfile}.1`), 1, 'the rotated request file keeps its one line');
  assert.match(read(`${reqfile}.1`).trimEnd(), requestLine);
  assert.match(read(`${logfile}.1`), /ready on/);
  assert.doesNotMatch(read(`${logfile}.1`) + read(logfile), / => generated /, 'no request line in the log');
  assert.doesNotMatch(read(reqfile) + read(`${reqfile}.1`), /tsws: /, 'no lifecycle line in the request files');
  assert.equal(await t.stop(), 0);
});

test('req-logger reopen: a new file the master may not open (EACCES, after it dropped uid) keeps the old file, says so in the log, and the master serves', async () => {
  const dir = tempDir();
  const logdir = join(dir, 'logs');
  mkdirSync(logdir);
  const reqfile = join(logdir, 'requests.log');
  const fifo = join(dir, 'master.fifo');
  // As root the master opens the file, then drops to nobody (a file root owns with 0600 is then closed to
  // it); as another user, a file of mode 000 is closed to its owner too.
  if (asRoot) chmodSync(dir, 0o711);
  const privileges = asRoot ? '\nuid = nobody\ngid = nogroup' : '';
  const t = await startTsws({ ini: `${probe}\nprocesses = 1\nmaster-fifo = ${fifo}\nreq-logger = file:${reqfile}${privileges}` });
  await serving(t);
  await waitFor('the first request line, written after the uid drop', () => lineCount(reqfile) === 1);
  renameSync(reqfile, `${reqfile}.1`);
  writeFileSync(reqfile, '');
  chmodSync(reqfile, asRoot ? 0o600 : 0o000);
  writeFileSync(fifo, 'l');
  await t.waitForLog(/tsws: warning: request log: cannot reopen \S+requests\.log: EACCES \(permission denied\); still writing to the file opened before\n/);
  await serving(t);
  await waitFor('the next request line in the old file', () => lineCount(`${reqfile}.1`) === 2);
  assert.equal(read(reqfile), '', 'nothing in the file it could not open');
  assert.doesNotMatch(t.output(), / => generated /, 'request lines never fell back to stderr');
  if (asRoot) chownSync(reqfile, Number(spawnSync('id', ['-u', 'nobody']).stdout.toString()), 0);
  else chmodSync(reqfile, 0o640);
  writeFileSync(fifo, 'l');
  await t.waitForLog(/request log reopened: \S+requests\.log\n/);
  await serving(t);
  await waitFor('the request line in the reopened file', () => lineCount(reqfile) === 1);
  assert.equal(await t.stop(), 0);
});

test('req-logger at start: a path that cannot be opened, or a logger tsws does not have, is one line with FILE:LINE and the key (exit 78, no stack), and --check says the same', async () => {
  const dir = tempDir();
  const cases = [
    { value: `file:${join(dir, 'no-such-dir', 'requests.log')}`, line: new RegExp(`^tsws: \\S*app\\.ini:\\d+: req-logger: cannot open ${dir}/no-such-dir/requests\\.log for appending: ENOENT \\(no directory .*no-such-dir\\)$`) },
    { value: `file:${dir}`, line: /^tsws: \S*app\.ini:\d+: req-logger: cannot open \S+ for appending: EISDIR/ },
    { value: 'syslog:myapp', line: /^tsws: \S*app\.ini:\d+: req-logger: the syslog logger is not supported by tsws: .* \(file:PATH, file:logfile=PATH, or stdio for the log itself\)$/ },
  ];
  for (const c of cases) {
    const t = await startTsws({ ini: `${probe}\nreq-logger = ${c.value}`, waitReady: false });
    assert.equal(await t.exited, 78, t.output());
    const lines = t.output().trimEnd().split('\n').filter((l) => !/configuration errors?; nothing was started/.test(l));
    assert.equal(lines.length, 1, t.output());
    assert.match(lines[0], c.line);
    assert.doesNotMatch(t.output(), /^\s+at /m, 'no stack');
    const check = await runTsws(['--ini', join(t.dir, 'app.ini'), '--check'], { cwd: t.dir });
    assert.equal(check.code, 78, check.out);
    assert.match(check.stderr.split('\n')[0], c.line);
  }
  assert.ok(!existsSync(join(dir, 'no-such-dir')));
});

test('req-logger = /dev/full (a full disk under the request log only): the master serves, counts the dropped request lines, and the log keeps working', async (ctx) => {
  const dir = tempDir();
  const logfile = join(dir, 'tsws.log');
  const t = await startTsws({ ini: `${probe}\nprocesses = 2\nlogto = ${logfile}\nreq-logger = file:/dev/full\nstats = 127.0.0.1:0\nstats-http = true`, waitReady: false });
  const m = await waitFor('ready', () => /stats on (\S+) [\s\S]*listening on (\S+)[\s\S]*ready on/.exec(read(logfile)));
  t.url = m[2];
  const dropped = async () => JSON.parse((await request(m[1])).body).tsws.log_lines_dropped as number;
  const r = await load(t.url, { clients: 8, count: 1000, path: PAD });
  assert.equal(r.ok, 1000, JSON.stringify(r));
  const d = await dropped();
  assert.ok(d > 0, `dropped ${d}`);
  t.signal('SIGUSR1'); // a lifecycle line after the load: the log itself still takes lines
  await waitFor('the status table in the log', () => read(logfile).includes('status (SIGUSR1)'));
  await serving(t);
  assert.doesNotMatch(read(logfile), / => generated /);
  assert.equal(t.proc.exitCode, null, 'the master is alive');
  ctx.diagnostic(`figure: req-logger = /dev/full: 1,000 of 1,000 requests answered 200, ${d} request lines dropped, the log still written`);
  assert.equal(await t.stop(), 0);
});
