// The fleet recipe of docs/scale-out.md, run (issue 15): three tsws hosts, each in a network namespace this
// test makes, on a bridge in a fourth namespace where HAProxy runs with health checks on /readyz. The INI file
// and haproxy.cfg are read from the doc's `fleet-test` blocks, so the doc shows what was tested; only the app,
// a FLEET_HOST variable (which host answered), HAProxy's listening socket and its admin socket are put in. All
// addresses live inside the namespaces (the doc's 10.0.0.0/24); the test reaches HAProxy through a unix socket.
// Under steady keep-alive load: host1 gets SIGTERM (its shutdown-delay), host2 a reload while host1 is still
// in its delay, one of host3's workers kill -9; then host1 is started again. Not one request may fail.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { trackChild } from '../helpers/procs.js';
import { APPS, ROOT, request, startTsws, tempDir, waitFor, type Tsws } from '../helpers/tsws.js';

const tag = `tf${process.pid % 100000}`;
const LB = `${tag}-lb`;
const HOSTS = [1, 2, 3].map((i) => ({ name: `host${i}`, ns: `${tag}-h${i}`, addr: `10.0.0.1${i}` }));

function ip(...args: string[]): string | null {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return r.status === 0 ? null : `ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`;
}

/** The namespaces, the bridge and the veth pairs; a sentence saying why not, if they cannot be made. */
function makeNetwork(): string | null {
  if (process.getuid?.() !== 0) return 'not root: cannot create network namespaces';
  if (spawnSync('haproxy', ['-v']).status !== 0) return 'haproxy is not installed (apt-get install -y haproxy)';
  const first = ip('netns', 'add', LB);
  if (first) return `cannot create network namespaces: ${first}`;
  made.push(LB);
  const steps: string[][] = [
    ['-n', LB, 'link', 'set', 'lo', 'up'],
    ['-n', LB, 'link', 'add', 'br0', 'type', 'bridge'],
    ['-n', LB, 'addr', 'add', '10.0.0.1/24', 'dev', 'br0'],
    ['-n', LB, 'link', 'set', 'br0', 'up'],
  ];
  for (const [i, h] of HOSTS.entries()) {
    steps.push(
      ['netns', 'add', h.ns],
      ['link', 'add', `v${i + 1}`, 'netns', LB, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns],
      ['-n', LB, 'link', 'set', `v${i + 1}`, 'master', 'br0', 'up'],
      ['-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', 'eth0'],
      ['-n', h.ns, 'link', 'set', 'eth0', 'up'],
      ['-n', h.ns, 'link', 'set', 'lo', 'up'],
    );
  }
  for (const s of steps) {
    const problem = ip(...s);
    if (problem) return `cannot build the test network: ${problem}`;
    if (s[0] === 'netns') made.push(s[2]);
  }
  return null;
}

const made: string[] = [];
after(() => {
  for (const ns of made) ip('netns', 'del', ns); // after tsws.ts's cleanup (registered first) killed what ran in them
});

/** The doc's block marked `<!-- fleet-test: NAME -->`. */
function docBlock(name: string): string {
  const doc = readFileSync(join(ROOT, 'docs/scale-out.md'), 'utf8');
  const m = new RegExp(`<!-- fleet-test: ${name.replace('.', '\\.')} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(m, `docs/scale-out.md has a fleet-test block for ${name}`);
  return m[1];
}

/** HAProxy's view of each server of backend tsws: `UP`, `DOWN`, `UP 1/2` (going down), … */
function serverStates(adminSock: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let csv = '';
    const s = connect(adminSock, () => s.end('show stat\n'));
    s.on('data', (d) => (csv += d));
    s.on('error', reject);
    s.on('end', () => {
      const [head, ...rows] = csv.trim().split('\n');
      const cols = head.replace(/^# /, '').split(',');
      const out: Record<string, string> = {};
      for (const r of rows.map((l) => l.split(','))) if (r[0] === 'tsws' && r[1].startsWith('host')) out[r[1]] = r[cols.indexOf('status')];
      resolve(out);
    });
  });
}

interface Tally {
  sent: number;
  failed: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  byHost: Record<string, number>;
  byPhase: Record<string, Record<string, number>>;
}

/** Keep-alive clients through HAProxy's socket, back to back, until stopped; each answer names its host. */
function steadyLoad(socketPath: string, clients: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const t: Tally = { sent: 0, failed: 0, statuses: {}, errors: {}, byHost: {}, byPhase: {} };
  let phase = 'all up';
  let running = true;
  const one = async () => {
    while (running) {
      t.sent++;
      const inPhase = (t.byPhase[phase] ??= {});
      try {
        const r = await request('http://fleet/env/FLEET_HOST', { socketPath, agent });
        t.statuses[r.status] = (t.statuses[r.status] ?? 0) + 1;
        if (r.status !== 200) t.failed++;
        else {
          t.byHost[r.body] = (t.byHost[r.body] ?? 0) + 1;
          inPhase[r.body] = (inPhase[r.body] ?? 0) + 1;
        }
      } catch (e) {
        t.failed++;
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        t.errors[code] = (t.errors[code] ?? 0) + 1;
      }
    }
  };
  const all = Promise.all(Array.from({ length: clients }, one));
  return {
    tally: t,
    phase: (p: string) => (phase = p),
    served: (host: string, p: string) => t.byPhase[p]?.[host] ?? 0,
    stop: async () => {
      running = false;
      await all;
      agent.destroy();
      return t;
    },
  };
}

const skip = (() => {
  try {
    return makeNetwork() ?? false;
  } catch (e) {
    return `cannot build the test network: ${(e as Error).message}`;
  }
})();

test('fleet: 3 hosts behind HAProxy, a stop with shutdown-delay, a reload, a kill -9 and a restart, zero failed requests', { skip, timeout: 120_000 }, async () => {
  const dir = tempDir('tsws-fleet-');
  const ini = docBlock('app.ini').replace(/^module = .*$/m, `module = ${APPS}/probe.js`);
  const hostIni = HOSTS.map((h) => {
    mkdirSync(join(dir, h.name));
    const file = join(dir, h.name, 'app.ini');
    writeFileSync(file, `${ini}env = FLEET_HOST=${h.name}\n`);
    return file;
  });
  const start = (i: number) => startTsws({ iniFile: hostIni[i], prefix: ['ip', 'netns', 'exec', HOSTS[i].ns] });
  const hosts: Tsws[] = await Promise.all(HOSTS.map((_, i) => start(i)));

  const lbSock = join(dir, 'lb.sock');
  const admin = join(dir, 'admin.sock');
  const cfg = docBlock('haproxy.cfg').replace('bind :80', `bind unix@${lbSock}`).replace('/run/haproxy/admin.sock', admin);
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  const haproxy = spawn('ip', ['netns', 'exec', LB, 'haproxy', '-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(haproxy);
  let lbLog = '';
  haproxy.stdout!.on('data', (d) => (lbLog += d));
  haproxy.stderr!.on('data', (d) => (lbLog += d));
  const states = () => serverStates(admin).catch(() => ({}) as Record<string, string>);
  await waitFor(`HAProxy to see all 3 hosts UP (log: ${lbLog})`, async () => {
    const s = await states();
    return HOSTS.every((h) => s[h.name] === 'UP');
  }, 20_000, 100);

  const load = steadyLoad(lbSock, 6);
  await waitFor('every host to serve', () => HOSTS.every((h) => load.served(h.name, 'all up') > 20), 20_000);

  // host1: SIGTERM. HAProxy must take it out while it still serves (its delay), before its listener closes.
  load.phase('host1 stopping');
  const [h1, h2, h3] = hosts;
  h1.signal('SIGTERM');
  await waitFor('HAProxy to mark host1 DOWN', async () => (await states()).host1 === 'DOWN', 10_000, 50);
  const h1AliveWhenDown = h1.proc.exitCode === null;

  // host2: a reload while host1 is still in its delay; host3: one worker killed outright.
  h2.signal('SIGHUP');
  const victim = h3.workers()[0];
  process.kill(victim, 'SIGKILL');
  await h3.waitForLog(new RegExp(`\\(pid ${victim}\\) died \\(killed by signal SIGKILL\\)`));
  await h3.waitForLog(/worker \d+ respawned[\s\S]*ready in/);
  await h2.waitForLog(/reload done: (\d+) of \1 worker/, 30_000);
  const h1Exit = await h1.exited;

  // host1 back: HAProxy adds it once /readyz said 200 twice, and it serves again.
  load.phase('host1 back');
  const again = await start(0);
  await waitFor('HAProxy to mark host1 UP again', async () => (await states()).host1 === 'UP', 20_000, 100);
  await waitFor('host1 to serve again', () => load.served('host1', 'host1 back') > 20, 20_000);
  const t = await load.stop();

  const phases = Object.entries(t.byPhase).map(([p, by]) => `${p}: ${HOSTS.map((h) => `${h.name} ${by[h.name] ?? 0}`).join(', ')}`).join('; ');
  console.log(`figure: fleet of 3 tsws hosts behind HAProxy: ${t.sent} requests sent, ${t.failed} failed; served by ${HOSTS.map((h) => `${h.name} ${t.byHost[h.name] ?? 0}`).join(', ')} (${phases})`);
  assert.deepEqual({ failed: t.failed, errors: t.errors, statuses: Object.keys(t.statuses) }, { failed: 0, errors: {}, statuses: ['200'] });
  assert.equal(h1Exit, 0, 'host1 exited 0 after its drain');
  assert.ok(h1AliveWhenDown, 'HAProxy took host1 out during its shutdown-delay, before it stopped');
  assert.ok(t.byPhase['host1 stopping']?.host2 && t.byPhase['host1 stopping']?.host3, 'the others served meanwhile');
  for (const h of [h2, h3, again]) assert.equal(await h.stop(), 0);
});
