// The README's table of the cockpit's keys, made from the key table in src/tui/keys.ts, between the
// markers <!-- keys:start --> and <!-- keys:end -->. `npx tsx scripts/keys-table.ts` rewrites it;
// `--check` exits 1 if the README is out of date (a test runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BINDINGS, LAYER_NAMES, keyLabel } from '../src/tui/keys.js';

export const START = '<!-- keys:start -->';
export const END = '<!-- keys:end -->';
export const README = fileURLToPath(new URL('../README.md', import.meta.url));

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function keysTable(): string {
  const rows = BINDINGS.map(
    (b) =>
      `| ${b.keys.map((k) => `\`${cell(keyLabel(k))}\``).join(' ')} | ${b.layers.map((l) => LAYER_NAMES[l]).join(', ')} | ${cell(b.description)} |`,
  );
  return ['| keys | where | what it does |', '|---|---|---|', ...rows].join('\n');
}

/** The README with its key table replaced; throws if the markers are missing. */
export function withKeysTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${keysTable()}\n${readme.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(README, 'utf8');
  const after = withKeysTable(before);
  if (process.argv.includes('--check')) {
    if (after !== before) {
      process.stderr.write('README.md: the key table is out of date; run npx tsx scripts/keys-table.ts\n');
      process.exit(1);
    }
  } else if (after !== before) {
    writeFileSync(README, after);
    process.stdout.write('README.md: key table updated\n');
  }
}
