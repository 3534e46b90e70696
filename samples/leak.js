// The seed article's app (../docs/benchmarks.md): a model-serving endpoint whose every request leaks ~78 MB,
// as the Flask app did with `L.append([l])` of a 10M-element list. GET or POST /test answers
// {"code":200,"msg":"success"} after keeping 78 MB forever; GET / reports this worker's RSS.
const kept = [];
const MB = 1024 * 1024;

export default function leak(req, res) {
  const url = req.url.split('?')[0];
  if (url === '/test') {
    // Drain a POST body first, like a JSON payload would be read.
    req.resume();
    req.on('end', () => {
      const block = Buffer.alloc(78 * MB, 1); // touched pages: real RSS, not just address space
      kept.push(block);
      const body = JSON.stringify({ code: 200, msg: 'success' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  const body = JSON.stringify({ pid: process.pid, rss_mb: Math.round(process.memoryUsage().rss / MB), kept: kept.length });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
}
