// The shape of src/: no import cycle (type imports included: a cycle of types is still a knot to read), and no
// file over ~300 lines unless its header says why ("Long file: …").
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';

const SRC = new URL('../../../src/', import.meta.url).pathname;
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).sort();

/** Each file's relative imports, static and dynamic, as paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s)).replace(/\.js$/, '.ts'));
}

test('src/ has no import cycle', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  for (const [f, deps] of graph) for (const d of deps) assert.ok(graph.has(d), `${f} imports ${d}, which does not exist`);
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    path.push(f);
    for (const d of graph.get(f) ?? []) visit(d);
    path.pop();
    state.set(f, 'done');
  };
  for (const f of files) visit(f);
  assert.deepEqual(cycles, []);
  assert.ok(graph.size > 40 && [...graph.values()].flat().length > 80, 'the import graph was read');
});

test('no file in src/ over 330 lines without a reason in its header', () => {
  const long = files.flatMap((f) => {
    const lines = readFileSync(join(SRC, f), 'utf8').split('\n');
    const header = lines.slice(0, 15).join('\n');
    return lines.length > 330 && !/Long file: /.test(header) ? [`${f}: ${lines.length} lines`] : [];
  });
  assert.deepEqual(long, []);
});
