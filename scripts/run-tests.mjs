#!/usr/bin/env node
// Runs every compiled test file under dist/test with node:test. Node 20 and Node 22+ differ in how
// `node --test` expands directories and globs, so the files are listed here and passed explicitly.
// TSWS_SOAK=1 also runs the long soaks (files ending in .soak.test.js).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const soak = process.env.TSWS_SOAK === '1';
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.js') && (soak || !e.name.endsWith('.soak.test.js'))) files.push(p);
  }
})(root);
files.sort();
const filter = process.argv.slice(2);
const chosen = filter.length ? files.filter((f) => filter.some((s) => f.includes(s))) : files;
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
