// Issue 17: chown-socket gives the unix-socket http address to its owner right after bind (as root only).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bind } from '../../src/sys/listen.js';
import { tempDir } from '../helpers/procs.js';

describe('chown-socket', () => {
  it('sets the owner of a unix-socket address', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const path = join(tempDir(), 'app.sock');
    const server = createServer();
    try {
      await bind(server, path, 16, '660', '65534:65534');
      const st = statSync(path);
      assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [65534, 65534, 0o660]);
    } finally {
      server.close();
    }
  });
});
