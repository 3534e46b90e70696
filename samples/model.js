// A model-shaped app (docs/benchmarks.md, bench/model.ts): loading takes MODEL_LOAD_MS (5 s by default) and
// holds a 200 MB "model"; each POST /predict runs for INFERENCE_MS (250 ms) and keeps ~78 MB forever, the seed
// article's leak. A recycle therefore costs a 5 s load: the case spare-workers is for.
const MB = 1024 * 1024;
const model = Buffer.alloc(200 * MB, 1);
await new Promise((r) => setTimeout(r, Number(process.env.MODEL_LOAD_MS ?? 5000)));
const kept = [];

export default function predict(req, res) {
  req.resume();
  req.on('end', () => {
    setTimeout(() => {
      kept.push(Buffer.alloc(78 * MB, 1));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, model: model.length, pid: process.pid }));
    }, Number(process.env.INFERENCE_MS ?? 250));
  });
}
