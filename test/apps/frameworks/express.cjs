// Express 5 as its getting-started page writes it: app.listen(port), a SIGTERM handler that closes the server.
const express = require('express');
const { who, markSigterm, port } = require('./common.cjs');

const app = express();
app.get('/who', (req, res) => res.json(who(req.ip, req.headers)));
app.get('/sleep/:ms', (req, res) => setTimeout(() => res.send(String(process.pid)), Number(req.params.ms)));

const server = app.listen(port, () => console.log(`Example app listening on port ${port}`));
process.on('SIGTERM', () => {
  server.close(() => {
    markSigterm('express: server closed');
    process.exit(0);
  });
});
