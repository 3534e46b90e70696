// A test app whose worker starts processes that hold memory, for the accounting of a worker's tree:
//   /spawn/MB → starts a child that keeps MB megabytes (spawned with detached: false, so it stays in the
//               worker's process group), and a double-forked helper that keeps MB megabytes too (its parent
//               exits at once: it is re-parented away from the worker, and stays in the worker's group);
//               answers {"worker":PID,"child":PID,"helper":PID} once both hold their memory
//   anything else → the worker's pid
import { spawn } from 'node:child_process';

/** A node -e script that touches MB megabytes (so they are resident), prints its pid and sleeps. */
const hold = (mb) => `const b = Buffer.alloc(${mb} * 1024 * 1024, 1); console.log(process.pid); setInterval(() => b.length, 1e6);`;

/** The first line `p` prints: the pid of whoever holds the memory. */
function firstLine(p) {
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (b) => {
      out += b;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(Number(out.slice(0, nl)));
    });
    p.on('error', reject);
  });
}

export default async function tree(req, res) {
  const m = /^\/spawn\/(\d+)$/.exec(req.url);
  if (!m) return res.end(String(process.pid));
  const mb = Number(m[1]);
  const child = spawn(process.execPath, ['-e', hold(mb)], { detached: false, stdio: ['ignore', 'pipe', 'ignore'] });
  // The intermediate starts the helper (which inherits its stdout, the pipe back here) and exits.
  const forker = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(hold(mb))}], { stdio: ['ignore', 'inherit', 'ignore'] }); process.exit(0);`;
  const intermediate = spawn(process.execPath, ['-e', forker], { detached: false, stdio: ['ignore', 'pipe', 'ignore'] });
  const [c, h] = await Promise.all([firstLine(child), firstLine(intermediate)]);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ worker: process.pid, child: c, helper: h }));
}
