// The uWSGI INI dialect reader: lines, sections, comments, includes spliced in place, and its errors.
import { describe, it } from 'node:test';
import { tempDir, writeTree } from '../helpers/files.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { displayPath, readIni, splitIniSpec, DEFAULT_SECTIONS, type IniReader } from '../../src/config/ini.js';
import type { PlaceholderLookup } from '../../src/config/expand.js';

const TMP = tempDir();

/** Write files into a fresh directory and return it. */
const files = writeTree;

function reader(cwd: string, env: NodeJS.ProcessEnv = {}, placeholder: PlaceholderLookup = () => undefined): IniReader {
  return { cwd, env, entries: [], errors: [], warnings: [], loaded: [], placeholder };
}

/** Read `spec` from `dir` (also the cwd) and return the reader. */
function read(dir: string, spec = 'app.ini', env: NodeJS.ProcessEnv = {}): IniReader {
  const r = reader(dir, env);
  readIni(spec, r, 'command line --ini');
  return r;
}

const kv = (r: IniReader) => r.entries.map((e) => `${e.key}=${e.value}`);
const where = (r: IniReader) => r.entries.map((e) => e.where);
const errors = (r: IniReader) => r.errors.map((e) => e.message);

describe('splitIniSpec', () => {
  it('splits FILE:SECTION at the last colon', () => {
    assert.deepEqual(splitIniSpec('app.ini'), { path: 'app.ini', section: null });
    assert.deepEqual(splitIniSpec('app.ini:prod'), { path: 'app.ini', section: 'prod' });
    assert.deepEqual(splitIniSpec(':prod'), { path: '', section: 'prod' });
    assert.deepEqual(splitIniSpec('app.ini:'), { path: 'app.ini', section: null });
  });
  it('does not take a colon inside a directory name for a section', () => {
    assert.deepEqual(splitIniSpec('/srv/a:b/app.ini'), { path: '/srv/a:b/app.ini', section: null });
    assert.deepEqual(splitIniSpec('/srv/a:b/app.ini:prod'), { path: '/srv/a:b/app.ini', section: 'prod' });
  });
});

describe('displayPath', () => {
  it('is relative below the cwd and absolute elsewhere', () => {
    assert.equal(displayPath('/repo/test/x.ini', '/repo'), 'test/x.ini');
    assert.equal(displayPath('/etc/x.ini', '/repo'), '/etc/x.ini');
  });
});

describe('readIni: lines', () => {
  it('reads [uwsgi] and [tsws] by default', () => {
    assert.deepEqual(DEFAULT_SECTIONS, ['uwsgi', 'tsws']);
  });

  it('keeps every entry in file order, with FILE:LINE', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nenv = A=1\nprocesses = 2\nenv = B=2\nprocesses = 3\n' });
    const r = read(dir);
    assert.deepEqual(kv(r), ['env=A=1', 'processes=2', 'env=B=2', 'processes=3']);
    assert.deepEqual(where(r), ['app.ini:2', 'app.ini:3', 'app.ini:4', 'app.ini:5']);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.loaded, [join(dir, 'app.ini')]);
  });

  it('skips ; and # comments, also indented, and blank lines', () => {
    const dir = files({ 'app.ini': '; c\n# c\n[uwsgi]\n  ; c\n\t# c\n\n   \nprocesses = 2\n' });
    const r = read(dir);
    assert.deepEqual(kv(r), ['processes=2']);
    assert.deepEqual(where(r), ['app.ini:8']);
  });

  it('has no inline comments and keeps quotes: both are part of the value', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nprocesses = 4 ; four\nenv = URL=http://x/y#frag\nmodule = "app.js"\n' });
    assert.deepEqual(kv(read(dir)), ['processes=4 ; four', 'env=URL=http://x/y#frag', 'module="app.js"']);
  });

  it('trims keys and values, splits at the first =, and reads a bare key as an empty value', () => {
    const dir = files({ 'app.ini': '[uwsgi]\n  master  \n  env   =   A=b=c  \nvacuum =\n' });
    const r = read(dir);
    assert.deepEqual(r.entries.map((e) => [e.key, e.value]), [['master', ''], ['env', 'A=b=c'], ['vacuum', '']]);
  });

  it('keeps keys as written (the loader folds _ and aliases)', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nmax_requests = 2\nProcesses = 3\n' });
    assert.deepEqual(kv(read(dir)), ['max_requests=2', 'Processes=3']);
  });

  it('reads CRLF files and a file without a final newline', () => {
    const dir = files({ 'app.ini': '[uwsgi]\r\nprocesses = 2\r\nenv = A=1\r\n\r\nmaster\r\nthreads = 4' });
    assert.deepEqual(kv(read(dir)), ['processes=2', 'env=A=1', 'master=', 'threads=4']);
  });

  it('ignores a UTF-8 byte order mark', () => {
    const dir = files({ 'app.ini': '\uFEFF[uwsgi]\nprocesses = 2\n' });
    const r = read(dir);
    assert.deepEqual(kv(r), ['processes=2']);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
  });

  it('reads only the wanted sections, and both default ones in file order', () => {
    const dir = files({ 'app.ini': '[uwsgi]\na = 1\n[other]\nb = 2\n[tsws]\nc = 3\n[uwsgi]\nd = 4\n' });
    assert.deepEqual(kv(read(dir)), ['a=1', 'c=3', 'd=4']);
    assert.deepEqual(kv(read(dir, 'app.ini:other')), ['b=2']);
  });

  it('warns about lines before the first section', () => {
    const dir = files({ 'app.ini': 'processes = 9\n[uwsgi]\nprocesses = 2\n' });
    const r = read(dir);
    assert.deepEqual(kv(r), ['processes=2']);
    assert.deepEqual(r.warnings, ['app.ini:1: "processes = 9" is outside any section and is ignored']);
  });

  it('reports a header without ] and a line with no key', () => {
    const dir = files({ 'app.ini': '[uwsgi]\n= 4\n[broken\nprocesses = 2\n' });
    const r = read(dir);
    assert.deepEqual(errors(r), [
      'app.ini:2: "= 4" has no key before = (key = value)',
      'app.ini:3: section header "[broken" has no closing ] ([section])',
    ]);
    assert.deepEqual(kv(r), [], 'lines after a broken header belong to no section');
  });

  it('expands magic variables, $(ENV) and @(file) as it reads, and leaves %(placeholders)', () => {
    const dir = files({ 'conf/app.ini': '[uwsgi]\nchdir = %d\nenv = H=$(HOME)\nenv = K=@(key.txt)\nmodule = %(project)/%n.js\n', 'conf/key.txt': 'k\n' });
    const r = read(dir, 'conf/app.ini', { HOME: '/home/tester' });
    assert.deepEqual(kv(r), [`chdir=${join(dir, 'conf')}/`, 'env=H=/home/tester', 'env=K=k', 'module=%(project)/app.js']);
    assert.equal(r.entries[0].file.section, 'uwsgi');
    assert.equal(r.entries[0].file.given, 'conf/app.ini');
  });

  it('reports an expansion error at its line and goes on', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nenv = A=$(NOPE)\nlogto = %z\nprocesses = 2\n' });
    const r = read(dir);
    assert.deepEqual(kv(r), ['processes=2']);
    assert.deepEqual(r.errors.map((e) => [e.where, e.key, e.problem]), [
      ['app.ini:2', 'env', '$(NOPE) is not set in the environment'],
      ['app.ini:3', 'logto', 'unknown magic variable %z'],
    ]);
  });
});

describe('readIni: includes', () => {
  it('splices an included file in where its ini = line stands, after that line', () => {
    const dir = files({
      'app.ini': '[uwsgi]\nenv = A=1\nini = inc/common.ini\nenv = C=3\n',
      'inc/common.ini': '[uwsgi]\nenv = B=2\nchdir = %d\n',
    });
    const r = read(dir);
    assert.deepEqual(kv(r), ['env=A=1', 'ini=inc/common.ini', 'env=B=2', `chdir=${join(dir, 'inc')}/`, 'env=C=3']);
    assert.deepEqual(where(r), ['app.ini:2', 'app.ini:3', 'inc/common.ini:2', 'inc/common.ini:3', 'app.ini:4']);
    assert.deepEqual(r.loaded, [join(dir, 'app.ini'), join(dir, 'inc/common.ini')]);
  });

  it('resolves an include relative to the including file, not the cwd (uWSGI uses the cwd)', () => {
    const dir = files({
      'app.ini': '[uwsgi]\nini = inc/a.ini\n',
      'inc/a.ini': '[uwsgi]\nini = deeper/b.ini\n',
      'inc/deeper/b.ini': '[uwsgi]\nenv = B=%c\n',
    });
    const r = reader('/');
    readIni(join(dir, 'app.ini'), r, 'command line --ini');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(kv(r).filter((e) => e.startsWith('env')), ['env=B=deeper']);
  });

  it('reads :section of the same file and file.ini:section of another', () => {
    const dir = files({
      'app.ini': '[uwsgi]\nenv = 1\nini = :extra\nenv = 3\nini = other.ini:prod\n[extra]\nenv = 2-%x\n',
      'other.ini': '[uwsgi]\nenv = no\n[prod]\nenv = 4-%x\n',
    });
    const r = read(dir);
    assert.deepEqual(kv(r).filter((e) => e.startsWith('env')), ['env=1', 'env=2-extra', 'env=3', 'env=4-prod']);
    assert.deepEqual(r.loaded, [join(dir, 'app.ini'), `${join(dir, 'app.ini')}:extra`, `${join(dir, 'other.ini')}:prod`]);
  });

  it('resolves %(placeholders) in an include line with what is defined so far', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nconf = inc\nini = %(conf)/x.ini\n', 'inc/x.ini': '[uwsgi]\nthreads = 2\n' });
    const r = reader(dir, {}, (name) => (name === 'conf' ? 'inc' : undefined));
    readIni('app.ini', r, 'command line --ini');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(kv(r), ['conf=inc', 'ini=%(conf)/x.ini', 'threads=2']);
  });

  it('stops an include cycle with the chain', () => {
    const dir = files({ 'a.ini': '[uwsgi]\nini = b.ini\n', 'b.ini': '[uwsgi]\nini = a.ini\n' });
    assert.deepEqual(errors(read(dir, 'a.ini')), ['b.ini:2: ini: include cycle: a.ini -> b.ini -> a.ini']);
  });

  it('stops a section that includes itself', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nini = :loop\n[loop]\nini = :loop\n' });
    assert.deepEqual(errors(read(dir)), ['app.ini:4: ini: include cycle: app.ini -> app.ini:loop -> app.ini:loop']);
  });

  it('allows the same file twice when it is not a cycle', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nini = c.ini\nini = c.ini\n', 'c.ini': '[uwsgi]\nenv = X=1\n' });
    const r = read(dir);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(kv(r).filter((e) => e.startsWith('env')), ['env=X=1', 'env=X=1']);
  });

  it('reports a missing include at the including line', () => {
    const dir = files({ 'app.ini': '[uwsgi]\nini = nope.ini\nprocesses = 2\n' });
    const r = read(dir);
    assert.deepEqual(errors(r), ['app.ini:2: ini: cannot read nope.ini: no such file (an existing INI file, relative to the including file)']);
    assert.deepEqual(kv(r), ['ini=nope.ini', 'processes=2']);
  });

  it('reports a directory named as an INI file', () => {
    const dir = files({ 'sub/x.ini': '[uwsgi]\n' });
    assert.deepEqual(errors(read(dir, 'sub')), ['command line --ini: ini: cannot read sub: it is a directory (an existing INI file, relative to the including file)']);
  });

  it('reports a missing section, listing the sections the file has', () => {
    const dir = files({ 'app.ini': '[other]\nprocesses = 2\n[more]\n', 'empty.ini': '; nothing\n' });
    const r = read(dir);
    assert.deepEqual(errors(r), ['command line --ini: ini: no [uwsgi] or [tsws] section in app.ini; it has [other], [more] (FILE:SECTION to read another section)']);
    assert.deepEqual(r.loaded, [], 'a file whose section is missing is not listed as loaded');
    assert.deepEqual(errors(read(dir, 'empty.ini:prod')), ['command line --ini: ini: no [prod] section in empty.ini; it has no sections (FILE:SECTION to read another section)']);
  });

  it('rejects :section with no file to take it from', () => {
    assert.deepEqual(errors(read(TMP, ':prod')), ['command line --ini: ini: ":prod" names a section but no file (FILE, FILE:SECTION, or :SECTION inside a file)']);
  });
});
