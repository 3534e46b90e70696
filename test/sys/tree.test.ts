// ProcessTrees (src/sys/tree.ts) against real processes: a "worker" that leads its group, with a child in
// its group, a child that made its own group (counted through parentage while its parent lives), and a
// double-forked helper (re-parented away, still in the group); across incremental scans, and when one exits.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ProcessTrees } from '../../src/sys/tree.js';
import { track, waitFor } from '../helpers/tsws.js';

const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
const rssOf = (pid: number) => Number(stat(pid)[21]) * 4096;

// The "worker": starts the three, prints their pids as JSON, then sleeps.
const WORKER = `
const { spawn } = require('child_process');
const sleep = ['-e', 'setInterval(() => {}, 1e6)'];
const inGroup = spawn(process.execPath, sleep, { stdio: 'ignore' });
const ownGroup = spawn(process.execPath, sleep, { stdio: 'ignore', detached: true });
const forker = spawn(process.execPath, ['-e', "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' }); console.log(c.pid); process.exit(0)"], { stdio: ['ignore', 'pipe', 'ignore'] });
forker.stdout.once('data', (b) => console.log(JSON.stringify({ inGroup: inGroup.pid, ownGroup: ownGroup.pid, helper: Number(String(b).trim()), forker: forker.pid })));
setInterval(() => {}, 1e6);
`;

test('ProcessTrees charges a worker its group and its descendants, incrementally, and drops what exits', async () => {
  const worker = spawn(process.execPath, ['-e', WORKER], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  track(worker.pid!);
  const w = worker.pid!;
  const { forker, ...pids } = await new Promise<{ inGroup: number; ownGroup: number; helper: number; forker: number }>((resolve) => worker.stdout!.once('data', (b) => resolve(JSON.parse(String(b)))));
  for (const p of Object.values(pids)) track(p);
  const gone = (pid: number) => () => {
    try {
      return stat(pid)[0] === 'Z';
    } catch {
      return true;
    }
  };
  try {
    await waitFor('the helper\'s parent to exit', gone(forker));
    assert.equal(Number(stat(pids.helper)[2]), w, 'the helper is in the worker\'s group');
    assert.notEqual(Number(stat(pids.helper)[1]), w, 'the helper is not the worker\'s child');
    assert.notEqual(Number(stat(pids.ownGroup)[2]), w, 'ownGroup leads a group of its own');
    const trees = new ProcessTrees();
    // An unrelated process (this test runner) is charged to nobody; the worker is not part of its own tree.
    const ticks = () => Number(stat(w)[11]) + Number(stat(w)[12]);
    for (let scan = 1; scan <= 12; scan++) {
      const before = ticks();
      const t = trees.scan([w, process.pid]).get(w)!;
      const after = ticks();
      assert.equal(t.processes, 3, `scan ${scan}: ${JSON.stringify(t)}`);
      const expected = rssOf(pids.inGroup) + rssOf(pids.ownGroup) + rssOf(pids.helper);
      assert.ok(Math.abs(t.rss - expected) < expected * 0.2, `scan ${scan}: rss ${t.rss}, expected ~${expected}`);
      // The worker's own line is read at every scan, not one in ten (the watchdog's CPU figure comes from it).
      assert.equal(t.own?.pgrp, w, `scan ${scan}: ${JSON.stringify(t.own)}`);
      assert.ok(t.own && t.own.cpuTicks >= before && t.own.cpuTicks <= after, `scan ${scan}: utime + stime ${t.own?.cpuTicks}, read around it ${before}..${after}`);
    }
    process.kill(pids.helper, 'SIGKILL');
    // Whoever adopted it may not reap it at once (or ever, in a container without an init): a zombie
    // counts for nothing either.
    await waitFor('the helper to exit', gone(pids.helper));
    assert.equal(trees.scan([w]).get(w)!.processes, 2, 'a process that exited no longer counts');
  } finally {
    for (const p of [...Object.values(pids), w]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});
