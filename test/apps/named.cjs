// CommonJS with a named export, loaded as `module = named.cjs:api`.
exports.api = (req, res) => res.end(`cjs ${req.url}`);
