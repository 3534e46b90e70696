// An Express 5 app exactly as Express's getting-started page writes it: it calls app.listen(3000) and closes
// on SIGTERM. Under tsws nothing changes: port 3000 is never bound (the router's traffic reaches this server
// through its worker), req.ip is the client's address, and SIGTERM handlers run when a worker is stopped.
import express from 'express';

const app = express();
const port = 3000;

app.use(express.json());
app.get('/', (req, res) => res.send(`hello from express (pid ${process.pid}), you are ${req.ip}\n`));
app.post('/echo', (req, res) => res.json({ echo: req.body }));

const server = app.listen(port, () => console.log(`Example app listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
