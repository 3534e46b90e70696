// An Express app (CommonJS): the app object is itself a (req, res) request listener.
const express = require('express');

const app = express();
app.use(express.json());
app.get('/', (req, res) => res.send(`hello from express (pid ${process.pid})\n`));
app.post('/echo', (req, res) => res.json({ echo: req.body }));

module.exports = app;
