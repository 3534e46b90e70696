// A test app for the edges of HTTP/1.1 responses and of worker deaths (issue 10). Routes:
//   /hello              → "hello" (Content-Length: 5)
//   /raw-head           → a 200 with Content-Length: 5 and its body written straight to the socket, even for HEAD
//   /count              → how many requests this worker has run (GET /count itself not counted)
//   /early-hints        → 103 Early Hints with a Link, then 200 "hinted"
//   /trailers           → a chunked body followed by the trailer X-Checksum: abc (announced in Trailer)
//   /raw-304            → writes a 304 carrying a 5-byte body straight to the socket, as a broken app would
//   /big-header         → a response header of 70 KiB (counted, so a retry would show)
//   /die/HOW/FRAMING    → sends headers and half a body, then dies: HOW = exit | kill | throw;
//                         FRAMING = length (Content-Length: 10) or chunked
//   /early-413          → answers 413 with Connection: close without reading the request body
//   /upload             → reads the body, answers its length in bytes
let count = 0;
export default function edges(req, res) {
  const url = req.url;
  if (url === '/count') return res.end(String(count));
  count++;
  let m;
  if (url === '/hello') {
    res.writeHead(200, { 'content-length': '5' });
    return res.end('hello');
  }
  if (url === '/raw-head') {
    req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    return setTimeout(() => req.socket.destroy(), 50);
  }
  if (url === '/early-hints') {
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    return res.end('hinted');
  }
  if (url === '/trailers') {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'X-Checksum' });
    res.write('part one, ');
    res.addTrailers({ 'X-Checksum': 'abc' });
    return res.end('part two');
  }
  if (url === '/raw-304') {
    req.socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 5\r\n\r\nhello');
    return setTimeout(() => req.socket.destroy(), 50);
  }
  if (url === '/big-header') {
    res.setHeader('x-big', 'a'.repeat(70 * 1024));
    return res.end('big');
  }
  if ((m = /^\/die\/(exit|kill|throw)\/(length|chunked)$/.exec(url))) {
    res.writeHead(200, m[2] === 'length' ? { 'content-length': '10' } : {});
    res.write('12345');
    return setTimeout(() => {
      if (m[1] === 'exit') process.exit(7);
      if (m[1] === 'kill') process.kill(process.pid, 'SIGKILL');
      throw new Error('edges: thrown mid-response');
    }, 50);
  }
  if (url === '/early-413') {
    res.writeHead(413, { connection: 'close', 'content-type': 'text/plain' });
    return res.end('too large');
  }
  if (url === '/upload') {
    let n = 0;
    req.on('data', (c) => (n += c.length));
    return req.on('end', () => res.end(String(n)));
  }
  res.writeHead(404);
  res.end('not found');
}
