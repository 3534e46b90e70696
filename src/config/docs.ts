// docs/options.md, generated from the registry (`npm run docs:options`); a test fails when it is stale.
import { GROUP_TITLES, OPTION_NAMES, spec, type Group, type OptionSpec } from './options.js';

export function showDefault(s: OptionSpec): string {
  if (s.list) return '(none)';
  if (s.derived) return s.derived.text;
  if (s.default === null) return '(unset)';
  if (s.type === 'size' && typeof s.default === 'number') {
    if (s.default === 0) return '0 (off)';
    return s.unit === 'bytes' ? `${s.default} bytes` : `${s.default / 1024 / 1024} MiB`;
  }
  if (s.type === 'duration' && typeof s.default === 'number') return s.default === 0 ? '0 (off)' : `${s.default}s`;
  return String(s.default);
}

const TYPE_TEXT: Record<OptionSpec['type'], string> = {
  bool: 'boolean',
  count: 'whole number',
  size: 'size',
  duration: 'duration',
  string: 'text',
  path: 'path',
  address: 'address',
  octal: 'octal mode',
};

export function typeText(s: OptionSpec): string {
  return `${TYPE_TEXT[s.type]}${s.auto ? ' or `auto`' : ''}${s.type === 'size' ? ` (bare: ${s.unit ?? 'MiB'})` : ''}${s.list ? ', repeatable' : ''}`;
}

export function optionsMarkdown(): string {
  const out: string[] = [
    '# tsws options',
    '',
    '<!-- Generated from src/config/options.ts by `npm run docs:options`. Do not edit by hand. -->',
    '',
    'Every option can be written in an INI file (`key = value`, `_` accepted for `-`), as an environment',
    'variable `TSWS_KEY_NAME`, or on the command line as `--key-name VALUE`. Sizes take a bare number in the',
    'unit shown, or `k`/`M`/`G` suffixes; durations take seconds, or `ms`/`s`/`m`/`h` suffixes.',
    'See [configuration.md](configuration.md) for the INI dialect.',
    '',
    'A reload (`HUP`, `tsws --reload`, touch-reload, the master fifo) reads the configuration again. The',
    '"a reload" column says whether a changed value takes effect then (in the new workers, and in the router',
    'from the next request on) or only at a restart; see [deployment.md](deployment.md#what-a-reload-re-reads).',
    '',
  ];
  const groups = [...new Set(OPTION_NAMES.map((n) => spec(n).group))] as Group[];
  for (const g of groups) {
    out.push(`## ${GROUP_TITLES[g]}`, '', '| option | type | default | a reload | |', '|---|---|---|---|---|');
    for (const name of OPTION_NAMES.filter((n) => spec(n).group === g)) {
      const s = spec(name);
      const names = [name, ...(s.aliases ?? []), ...(s.short ? [`-${s.short}`] : [])].map((n) => `\`${n}\``).join(', ');
      const type = typeText(s);
      const reload = s.reload ? 'applies it' : 'restart needed';
      const required = s.required ? ` Required${s.required.unlessListening ? ' (unless systemd passes the listening socket)' : ''}.` : '';
      out.push(`| ${names} | ${type} | ${showDefault(s)} | ${reload} | ${s.help.replace(/\|/g, '\\|')}.${required} |`);
    }
    out.push('');
    for (const name of OPTION_NAMES.filter((n) => spec(n).group === g && spec(n).details)) {
      out.push(`**${name}**: ${spec(name).details}`, '');
    }
  }
  return out.join('\n');
}
