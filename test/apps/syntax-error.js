export default function (req, res) {
  res.end('never';
}
