// `module` in a uWSGI file names a Python import path (`mysite.wsgi:application`, `wsgi:app`); tsws loads a
// Node file. Recognised by its shape, with no file system access, so --print-config can say so at once.

/** `pkg.mod` or `pkg.mod:callable`: dotted identifiers, no path separator, no JavaScript file extension. */
export function isPythonImportPath(module: string): boolean {
  const colon = module.indexOf(':');
  const file = colon < 0 ? module : module.slice(0, colon);
  if (/[/\\]/.test(file) || /\.(m|c)?[jt]sx?$|\.node$|\.json$/.test(file)) return false;
  return /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(file);
}

/** What to write instead: the dotted module as a file path, the callable as a named export. */
export function pythonModuleAdvice(module: string): string {
  const colon = module.indexOf(':');
  const file = (colon < 0 ? module : module.slice(0, colon)).replaceAll('.', '/') + '.js';
  const name = colon < 0 ? '' : module.slice(colon + 1).replace(/\(\)$/, '');
  return (
    `"${module}" is a Python import path (package.module:callable), and tsws runs Node.js apps: ` +
    `name a JavaScript file, e.g. module = ${file}${name ? `:${name}` : ''} (a file relative to chdir, :export optional)`
  );
}
