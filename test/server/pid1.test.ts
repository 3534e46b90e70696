// tsws as PID 1 of a new PID namespace (`unshare --pid --fork`), as in a container (issue 15): the signals
// the kubelet or an operator sends reach the master, orphans are reaped, the exit status is the master's.
// Run as the `tsws` command (bin/tsws through its shebang), its shell part is the init. Run as `node
// bin/tsws`, node is PID 1 and cannot reap: the second test shows the zombie that the first one must not have.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { children } from '../../src/sys/memory.js';
import { APPS, request, startTsws, waitFor, type Tsws } from '../helpers/tsws.js';

const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];
const canUnshare = spawnSync(UNSHARE[0], [...UNSHARE.slice(1), 'true']).status === 0;
const skip = canUnshare ? false : 'cannot create a PID namespace here (unshare --pid --fork needs root or user namespaces)';

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
/** The program a process runs (its exe), e.g. dash for sh, node. */
const exe = (pid: number) => readlinkSync(`/proc/${pid}/exe`).split('/').pop();
const state = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
  } catch {
    return '';
  }
};

/** The namespace's PID 1 (host pid: unshare's child), and the double-forked `sleep` the app's worker left to it. */
async function orphanOfInit(t: Tsws): Promise<{ init: number; orphan: number }> {
  const init = await waitFor('the namespace\'s PID 1', () => children(t.pid)[0]);
  const orphan = await waitFor('an orphan adopted by PID 1', () => children(init).find((p) => comm(p) === 'sleep'));
  return { init, orphan };
}

test('the tsws command as PID 1: signals forwarded, orphans reaped, exit status 0', { skip }, async () => {
  // sh -c 'shift; exec "$@"': PID 1 execs bin/tsws itself (its shebang), not node bin/tsws.
  const t = await startTsws({ ini: `module = ${APPS}/spawns-children.js`, prefix: [...UNSHARE, 'sh', '-c', 'shift; exec "$@"', 'sh'] });
  const { init, orphan } = await orphanOfInit(t);
  assert.match(exe(init) ?? '', /^(dash|sh|bash|busybox)$/, 'PID 1 is the shell part of bin/tsws');
  assert.equal((await request(`${t.url}/pid`)).status, 200);
  // HUP to PID 1 reaches the master: a reload, whose old worker's group (the orphan too) is killed.
  process.kill(init, 'SIGHUP');
  await t.waitForLog(/reload done: 1 of 1/);
  await waitFor(`orphan ${orphan} reaped by PID 1 (state now: ${state(orphan) || 'gone'})`, () => !existsSync(`/proc/${orphan}`));
  process.kill(init, 'SIGTERM');
  assert.equal(await t.exited, 0, t.output());
  assert.match(t.output(), /graceful stop \(SIGTERM\)/);
  console.log(`figure: tsws as PID 1 (sh init): HUP forwarded (reload), orphan pid ${orphan} reaped after its kill, SIGTERM -> exit 0`);
});

test('node itself as PID 1: signals work, but an orphan stays a zombie (why bin/tsws has an init)', { skip }, async () => {
  const t = await startTsws({ ini: `module = ${APPS}/spawns-children.js`, prefix: UNSHARE });
  const { init, orphan } = await orphanOfInit(t);
  assert.equal(exe(init), 'node');
  assert.match(t.output(), /running as PID 1 under node itself/);
  process.kill(init, 'SIGHUP');
  await t.waitForLog(/reload done: 1 of 1/);
  await waitFor(`orphan ${orphan} to be a zombie`, () => state(orphan) === 'Z');
  process.kill(init, 'SIGTERM');
  assert.equal(await t.exited, 0, t.output());
});

test('the tsws command as PID 1 exits with the master\'s status when it is not 0', { skip }, async () => {
  const t = await startTsws({ ini: 'module = /nonexistent/app.js', prefix: [...UNSHARE, 'sh', '-c', 'shift; exec "$@"', 'sh'], waitReady: false });
  assert.equal(await t.exited, 78, t.output()); // EX_CONFIG: the module does not exist
});
