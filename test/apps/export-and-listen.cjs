// The shape that opened a side door before issue 13: it exports its handler and also listens on a port.
const http = require('node:http');
const app = (req, res) => res.end(`${req.socket === undefined ? '' : 'served'} by ${process.pid} via ${app.via}`);
app.via = 'export';
module.exports = app;
http.createServer((req, res) => {
  app.via = 'listen';
  app(req, res);
}).listen(Number(process.env.APP_PORT));
