/** Themes: the three shipped files are complete, the config picks one, and a bad file can only give colours. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { viewSettings } from '../../src/cli/tui-command.js';
import { agency } from '../helpers/agency.js';
import { BUILT_IN, DEFAULT_THEME, loadTheme, parseTheme } from '../../src/tui/theme.js';

const SLOTS = (t: object): string[] =>
  Object.entries(t).flatMap(([k, v]) => (v && typeof v === 'object' ? SLOTS(v).map((s) => `${k}.${s}`) : [k]));

describe('themes', () => {
  it('every shipped theme sets every slot with a valid colour', () => {
    const want = SLOTS(DEFAULT_THEME)
      .filter((s) => s !== 'name')
      .sort();
    for (const name of ['default', 'light', 'high-contrast']) {
      const raw = JSON.parse(readFileSync(new URL(`../../themes/${name}.json`, import.meta.url), 'utf8'));
      expect(BUILT_IN[name]).toEqual(raw);
      expect(
        SLOTS(raw)
          .filter((s) => s !== 'name')
          .sort(),
        name,
      ).toEqual(want);
      // nothing fell back: every colour in the file was accepted as it is
      const t = parseTheme(raw, { ...DEFAULT_THEME, states: { ...DEFAULT_THEME.states, working: '#010203' } });
      expect(t.states.working).not.toBe('#010203');
      expect(t.name).toBe(name);
    }
  });

  it('the config key theme picks a theme; unknown names and bad files fall back to the default, saying why', () => {
    expect(loadTheme('light').theme.header.bg).toBe('#1f4e8c');
    expect(loadTheme(undefined)).toEqual({ theme: DEFAULT_THEME, problem: null });
    expect(loadTheme('neon').problem).toMatch(/unknown theme "neon": use default, light, high-contrast/);
    const dir = mkdtempSync(join(tmpdir(), 'theme-'));
    const file = join(dir, 'mine.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'mine\x1b]52;c;eA==\x07',
        header: { bg: '\x1b[2J', fg: '#abcdef' },
        error: 'not a colour',
      }),
    );
    const { theme, problem } = loadTheme(file);
    expect(problem).toBeNull();
    expect(theme.header.fg).toBe('#abcdef');
    expect(theme.header.bg).toBe(DEFAULT_THEME.header.bg);
    expect(theme.error).toBe(DEFAULT_THEME.error);
    expect(theme.name).toBe('mine52ceA');
    writeFileSync(file, '{ not json');
    expect(loadTheme(file).problem).toMatch(/theme file .*mine.json cannot be used/);
  });

  it('the cockpit reads the theme and the bell from the operator config', () => {
    expect(viewSettings(() => ({ nodes: [], theme: 'high-contrast', bell: true }) as never)).toEqual({
      theme: 'high-contrast',
      bell: true,
      refresh: 1,
    });
    expect(viewSettings(() => ({ nodes: [] }))).toEqual({ theme: 'default', bell: false, refresh: 1 });
    expect(viewSettings(() => ({ nodes: [], refresh: 0.5 })).refresh).toBe(0.5);
    const dir = mkdtempSync(join(tmpdir(), 'conf-'));
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ nodes: [], theme: 'light' }));
    const prev = process.env.AGENCY_CONFIG;
    process.env.AGENCY_CONFIG = path;
    try {
      expect(viewSettings().theme).toBe('light');
      writeFileSync(path, JSON.stringify({ nodes: [], refresh: 0 }));
      expect(() => viewSettings()).toThrow(/config\.json: refresh: /);
      // the command line says what is wrong before it asks for a terminal
      const bad = agency(['tui', '--refresh', 'soon'], {
        env: { ...process.env, AGENCY_CONFIG: join(dir, 'none.json') },
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--refresh must be a number of seconds from 0.1 to 60, not "soon"');
    } finally {
      if (prev === undefined) delete process.env.AGENCY_CONFIG;
      else process.env.AGENCY_CONFIG = prev;
    }
  });
});
