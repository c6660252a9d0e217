/** The README's key table is made from the key table: this fails when someone changes one and not the other. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, withKeysTable } from '../../scripts/keys-table.js';
import { BINDINGS } from '../../src/tui/keys.js';

describe('README key table', () => {
  it('is up to date with src/tui/keys.ts (run npx tsx scripts/keys-table.ts to update it)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme, 'README.md key table is out of date: run npx tsx scripts/keys-table.ts').toBe(withKeysTable(readme));
    for (const b of BINDINGS) expect(readme).toContain(b.description);
  });
});
