// Listens, and marks what ran at shutdown in MARKS: with MODE=natural a SIGTERM listener closes the server
// and does not exit (the worker must end on its own once nothing is left); with MODE=none there is no
// SIGTERM listener, only the server's 'close' listener.
const http = require('node:http');
const { writeFileSync } = require('node:fs');

const mark = (what) => writeFileSync(`${process.env.MARKS}/${what}-${process.pid}`, '');
const server = http.createServer((req, res) => res.end(String(process.pid)));
server.on('close', () => mark('close'));
server.listen(8080);
if (process.env.MODE === 'natural') {
  process.on('SIGTERM', () => {
    mark('sigterm');
    server.close(() => setTimeout(() => mark('flushed'), 50)); // a last flush, then nothing keeps it alive
  });
}
