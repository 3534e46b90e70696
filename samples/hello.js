// The smallest tsws app: a plain Node request listener (an ES module).
//   GET /           → hello from worker N
//   GET /sleep/MS   → answers after MS milliseconds (for queueing and drain demos)
export default function hello(req, res) {
  const sleep = /^\/sleep\/(\d+)/.exec(req.url);
  const body = `hello from pid ${process.pid}\n`;
  const send = () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (sleep) setTimeout(send, Number(sleep[1]));
  else send();
}
