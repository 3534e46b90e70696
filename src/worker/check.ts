// `tsws --check`: load the app module the way a worker does — the same Node flags (worker-node-args), the
// same environment, the listen() hook — and say what it found. A module a worker could not load (a syntax
// error, `.ts` where Node cannot strip types, a missing dependency) fails here with Node's own error.
// argv[2]: the module spec. Prints one JSON line: { exports: bool, listened: string | null, why?: string }.
import { importApp } from './app.js';
import { installListenHook, listened } from './listen-hook.js';

installListenHook(() => {}, (then) => setImmediate(then));
const e = await importApp(process.argv[2]);
// An app that listens only after an await of its own (a model load) has not listened yet: that is no error.
await new Promise((r) => setImmediate(r));
process.stdout.write(`${JSON.stringify({ exports: e.app !== null, listened: listened()?.where ?? null, why: e.why })}\n`);
process.exit(0);
