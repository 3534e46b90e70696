// Issue 13: `module = app.ts`, served by type stripping where Node has it (22.18+, 24: run this file with
// that Node and the workers use it too) and, on any supported Node, through `worker-node-args = --import tsx`;
// `--check` loads the module as the workers will, and fails where they could not load it. Also: workers see
// their identity in the environment, and --inspect gets a port per worker.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, freePort, freePortRun, request, startTsws, tempDir, waitFor } from '../helpers/tsws.js';

const APP_TS = `import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface Greeting {
  pid: number;
  ip: string | undefined;
  worker: string | undefined;
  generation: string | undefined;
}

const handler = (req: IncomingMessage, res: ServerResponse): void => {
  const g: Greeting = { pid: process.pid, ip: req.socket.remoteAddress, worker: process.env.TSWS_WORKER_ID, generation: process.env.TSWS_WORKER_GENERATION };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(g));
};
createServer(handler).listen(Number(process.env.APP_PORT) as number);
`;

/** A temp dir with app.ts in an ES-module package. */
function tsApp(): string {
  const dir = tempDir('tsws-ts-');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'app.ts'), APP_TS);
  return join(dir, 'app.ts');
}

const strips = Boolean((process.features as { typescript?: unknown }).typescript);
const TSX = import.meta.resolve('tsx');

async function serves(extra: string): Promise<void> {
  const port = await freePort();
  const t = await startTsws({ ini: `module = ${tsApp()}\nprocesses = 2\nenv = APP_PORT=${port}\n${extra}` });
  const seen = new Map<string, { ip: string; generation: string }>();
  await waitFor('both workers to answer', async () => {
    const g = JSON.parse((await request(`${t.url}/`, { localAddress: '127.0.0.3' })).body) as { worker: string; ip: string; generation: string };
    seen.set(g.worker, g);
    return seen.size === 2;
  });
  assert.deepEqual([...seen.keys()].sort(), ['1', '2']);
  for (const g of seen.values()) {
    assert.equal(g.ip, '127.0.0.3');
    assert.match(g.generation, /^\d+$/);
  }
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
}

test(`module = app.ts by Node's type stripping (this Node: ${process.version})`, { skip: !strips && 'this Node does not strip types (22.18+ and 24 do)' }, () => serves(''));

test('module = app.ts through worker-node-args = --import tsx (any supported Node)', () => serves(`worker-node-args = --import ${TSX}`));

test('--check loads app.ts as the workers will: it fails where they could not load it, passes with --import tsx', () => {
  const app = tsApp();
  const ini = join(tempDir(), 'app.ini');
  // Where Node strips types by default, turning that off is the way to make the workers unable to load it.
  writeFileSync(ini, `[uwsgi]\nhttp = 127.0.0.1:0\nmodule = ${app}\n${strips ? 'worker-node-args = --no-experimental-strip-types\n' : ''}env = APP_PORT=1\n`);
  const bad = spawnSync(process.execPath, [BIN, '--ini', ini, '--check'], { encoding: 'utf8' });
  assert.equal(bad.status, 78, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /module: a worker could not load .*app\.ts/);
  assert.match(bad.stderr, /ERR_UNKNOWN_FILE_EXTENSION|Unknown file extension/);
  writeFileSync(ini, `[uwsgi]\nhttp = 127.0.0.1:0\nmodule = ${app}\nworker-node-args = --import ${TSX}\nenv = APP_PORT=1\n`);
  const ok = spawnSync(process.execPath, [BIN, '--ini', ini, '--check'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /calls listen\(\) on :1: served through tsws, not bound/);
  assert.match(ok.stdout, /configuration OK/);
});

test('worker-node-args reach the workers; --inspect gets a port per worker (base + id)', async () => {
  const dir = tempDir('tsws-args-');
  writeFileSync(join(dir, 'args.mjs'), 'export default (req, res) => res.end(JSON.stringify({ worker: process.env.TSWS_WORKER_ID, execArgv: process.execArgv }));\n');
  const base = await freePortRun(2);
  const t = await startTsws({ ini: `module = ${dir}/args.mjs\nprocesses = 2\nworker-node-args = --max-old-space-size=200\nworker-node-args = --inspect=127.0.0.1:${base}` });
  const seen = new Map<string, string[]>();
  await waitFor('both workers to answer', async () => {
    const w = JSON.parse((await request(`${t.url}/`)).body) as { worker: string; execArgv: string[] };
    seen.set(w.worker, w.execArgv);
    return seen.size === 2;
  });
  for (const id of [1, 2]) {
    assert.deepEqual(seen.get(String(id)), ['--max-old-space-size=200', `--inspect=127.0.0.1:${base + id}`]);
    // The inspector of each worker answers on its own port.
    const list = await request(`http://127.0.0.1:${base + id}/json/list`);
    assert.equal(list.status, 200);
  }
  t.signal('SIGTERM');
  assert.equal(await t.exited, 0);
});
