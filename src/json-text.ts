// JSON strings for log lines that stay one line of plain ASCII whatever a client or an app sends.
// A request's URI and header values reach the router as Node decoded them: one code point per byte
// (latin1), so a client's invalid UTF-8 is a run of U+0080–U+00FF here, never a replacement character.
// Escaping everything from U+007F up as \u00XX keeps those bytes exact (Buffer.from(value, 'latin1') gives
// the client's bytes back) and keeps the log file valid UTF-8 whatever came in: a JSON log that one client
// can break is what made Sentry turn uWSGI's request log off (uWSGI #1293).

// Two regexps each: a /g one keeps its lastIndex between test() calls, so test() gets its own.
const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_ALL = /[\u007f-\uffff]/g;
const hex4 = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `s` as a JSON string literal (quotes included), in ASCII only: control characters, quotes and backslashes escaped by JSON.stringify, the rest as \uXXXX. */
export function jsonString(s: string): string {
  const j = JSON.stringify(s);
  return NON_ASCII.test(j) ? j.replace(NON_ASCII_ALL, hex4) : j;
}

/** What goes between the quotes of a JSON string (a log-format template supplies the quotes itself). */
export function jsonInner(s: string): string {
  const j = jsonString(s);
  return j.slice(1, -1);
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g;

/** For a text log line: control characters as \xNN, so that no value can end the line or forge another. */
export function textSafe(s: string): string {
  return CONTROL.test(s) ? s.replace(CONTROL_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : s;
}
