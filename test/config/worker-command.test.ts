// The worker's command line (src/master/worker-command.ts): worker-node-args, per-worker inspector ports,
// the identity variables, limit-as through sh.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envWith, inspectorFor, nodeArgsFor, workerCommand } from '../../src/master/worker-command.js';

test('--inspect gets the asked port (default 9229) plus the worker id; the host is kept; port 0 stays 0', () => {
  assert.equal(inspectorFor('--inspect', 1), '--inspect=9230');
  assert.equal(inspectorFor('--inspect-brk', 3), '--inspect-brk=9232');
  assert.equal(inspectorFor('--inspect-wait=9300', 2), '--inspect-wait=9302');
  assert.equal(inspectorFor('--inspect=0.0.0.0:9300', 2), '--inspect=0.0.0.0:9302');
  assert.equal(inspectorFor('--inspect=[::1]:9300', 1), '--inspect=[::1]:9301');
  assert.equal(inspectorFor('--inspect=localhost', 1), '--inspect=localhost:9230');
  assert.equal(inspectorFor('--inspect=0', 4), '--inspect=0');
  assert.equal(inspectorFor('--inspect-port=9000', 1), '--inspect-port=9000');
  assert.equal(inspectorFor('--enable-source-maps', 1), '--enable-source-maps');
});

test('worker-node-args lines are split on whitespace, in order', () => {
  assert.deepEqual(nodeArgsFor(['--import tsx', ' --max-old-space-size=512  --enable-source-maps '], 1), ['--import', 'tsx', '--max-old-space-size=512', '--enable-source-maps']);
});

test('the command: node, its flags, the entry; TSWS_WORKER_ID and TSWS_WORKER_GENERATION; limit-as through sh', () => {
  const env = envWith({ A: '1', B: '2' }, ['B=3', 'C=x=y']);
  assert.deepEqual(env, { A: '1', B: '3', C: 'x=y' });
  const c = workerCommand({ env, nodeArgs: ['--inspect'], limitAs: 0 }, 2, 7, ['worker.js', '{}']);
  assert.equal(c.file, process.execPath);
  assert.deepEqual(c.args, ['--inspect=9231', 'worker.js', '{}']);
  assert.equal(c.env.TSWS_WORKER_ID, '2');
  assert.equal(c.env.TSWS_WORKER_GENERATION, '7');
  assert.equal(c.env.B, '3');
  const sh = workerCommand({ env, limitAs: 512 * 1024 * 1024 }, 1, 1, ['worker.js']);
  assert.equal(sh.file, '/bin/sh');
  assert.deepEqual(sh.args, ['-c', 'ulimit -v "$0" && exec "$@"', String(512 * 1024), process.execPath, 'worker.js']);
});
