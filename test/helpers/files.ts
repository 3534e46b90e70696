// Temporary files for tests, removed when the test file ends (procs.ts keeps the list).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { cleanup, tempDir } from './procs.js';

export { tempDir };

after(cleanup);

/** Write files (paths relative to a fresh temporary directory, subdirectories created) and return it. */
export function writeTree(tree: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
