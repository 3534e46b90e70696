// An Express app that leaks on one route only: POST /leak keeps 20 MB a request; GET /clean and GET /noise/:id
// allocate as much and free it. Written the Express way (listen()), so routes carry their template.
import express from 'express';

const app = express();
const kept = [];
app.post('/leak', (req, res) => {
  kept.push(Buffer.alloc(20 * 1024 * 1024, 1));
  res.send(String(process.pid));
});
app.get('/clean', (req, res) => {
  const b = Buffer.alloc(20 * 1024 * 1024, 1);
  res.send(String(process.pid + b.length * 0));
});
app.get('/noise/:id', (req, res) => {
  const parts = Array.from({ length: 50_000 }, (_, i) => ({ i, s: `item ${i} of ${req.params.id}` }));
  res.send(String(parts.length));
});
app.listen(Number(process.env.PORT ?? 3000));
