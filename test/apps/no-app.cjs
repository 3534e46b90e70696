// Exports no app and never listens.
module.exports = { notAnApp: true };
