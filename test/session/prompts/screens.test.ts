/**
 * The detector on real screens of Claude Code 2.1.197, captured in tmux by capture-screens.ts while
 * walking through each dialog with the keys the rules give. What each screen shows was read by eye and
 * written here by hand: the expectations are not the detector's own output played back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectDialog, keysFor, type Detection } from '../../../src/session/prompts/index.js';

const SCREENS = join(import.meta.dirname, 'screens');

function load(scene: string, file: string): string[] {
  return readFileSync(join(SCREENS, scene, file), 'utf8')
    .replace(/\n$/, '')
    .split('\n');
}

interface Expect {
  rule: string | null;
  /** label of the option the rule chooses */
  choice?: string;
  keys?: string;
  /** label under the cursor */
  selected?: string;
  labels?: string[];
  details?: Detection['details'];
}

function check(scene: string, table: [string, Expect][]): void {
  it('has exactly the screens listed here', () => {
    expect(readdirSync(join(SCREENS, scene)).sort()).toEqual(table.map(([f]) => f));
  });
  for (const [file, want] of table) {
    it(`${file}: ${want.rule ?? 'no dialog'}`, () => {
      const d = detectDialog(load(scene, file));
      if (want.rule === null) {
        expect(d).toBeNull();
        return;
      }
      expect(d?.rule).toBe(want.rule);
      if (!d) return;
      if (want.choice !== undefined) expect(d.choice?.label).toBe(want.choice);
      if (want.keys !== undefined) expect(keysFor(d)).toBe(want.keys);
      if (want.selected !== undefined) expect(d.options.find((o) => o.selected)?.label).toBe(want.selected);
      if (want.labels) expect(d.options.map((o) => o.label)).toEqual(want.labels);
      if (want.details) expect(d.details).toEqual(want.details);
    });
  }
}

const TRUST: Expect = {
  rule: 'trust-folder',
  choice: 'Yes, I trust this folder',
  keys: '1',
  labels: ['Yes, I trust this folder', 'No, exit'],
};
const API_KEY: Expect = {
  rule: 'api-key',
  choice: 'Yes',
  keys: '1',
  selected: 'No (recommended)',
  labels: ['Yes', 'No (recommended)'],
};
const BASH = { tool: 'Bash', command: 'rm -rf build_tmp_dir', question: 'Do you want to proceed?' };
const ESCALATED = { rule: 'permission', keys: '' } as const;

/** The same walk at three widths: only the wrapping differs, and what the detector reads must not. */
function firstRun(width: number): [string, Expect][] {
  const allEdits = ['Yes', 'Yes, allow all edits during this session (shift+tab)', 'No'];
  return [
    ['01-trust-folder.txt', TRUST],
    ['02-mcp-servers.txt', { rule: 'mcp-servers', keys: '\r', labels: ['notes', 'web'], selected: 'notes' }],
    ['03-external-imports.txt', { rule: 'external-imports', choice: 'No, disable external imports', keys: '2' }],
    ['04-api-key.txt', API_KEY],
    ['05-idle.txt', { rule: null }],
    // at 60 columns 2.1.197 draws "3. No" over the wrapped end of option 2 ("3. Nooject"): labels are not checked there
    [
      '06-permission.txt',
      {
        ...ESCALATED,
        details: BASH,
        ...(width > 60 ? { labels: ['Yes', 'Yes, and always allow access to proj/ from this project', 'No'] } : {}),
      },
    ],
    [
      '07-permission.txt',
      {
        ...ESCALATED,
        labels: ['Yes', 'No'],
        details: {
          tool: 'Bash',
          command: 'for f in a b c; do\n  echo "$f" > /dev/null\ndone',
          question: 'Do you want to proceed?',
        },
      },
    ],
    [
      '08-permission.txt',
      {
        ...ESCALATED,
        labels: ['Yes', "Yes, and don't ask again for: npm run *", 'No'],
        details: { tool: 'Bash', command: 'npm run test:unit', question: 'Do you want to proceed?' },
      },
    ],
    [
      '09-permission.txt',
      {
        ...ESCALATED,
        labels: allEdits,
        details: { tool: 'Edit', file: 'README.md', question: 'Do you want to make this edit to README.md?' },
      },
    ],
    [
      '10-permission.txt',
      {
        ...ESCALATED,
        labels: allEdits,
        details: { tool: 'Write', file: 'README.md', question: 'Do you want to overwrite README.md?' },
      },
    ],
    [
      '11-permission.txt',
      {
        ...ESCALATED,
        labels: allEdits,
        details: { tool: 'Write', file: 'written.txt', question: 'Do you want to create written.txt?' },
      },
    ],
    [
      '12-permission.txt',
      {
        ...ESCALATED,
        details: {
          tool: 'mcp__notes__add_note',
          command: 'notes - add_note(text: "remember the milk") (MCP)',
          question: 'Do you want to proceed?',
        },
      },
    ],
    [
      '13-ask-user-question.txt',
      {
        rule: 'ask-user-question',
        keys: '',
        labels: ['PostgreSQL', 'SQLite', 'Type something.', 'Chat about this'],
        details: { question: 'Which database should the service use?' },
      },
    ],
    [
      '14-permission.txt',
      {
        ...ESCALATED,
        labels: ['Yes', 'Yes, allow reading from etc/ during this session', 'No'],
        details: { tool: 'Read', file: '/etc/hostname', question: 'Do you want to proceed?' },
      },
    ],
    [
      '15-permission.txt',
      {
        ...ESCALATED,
        labels: ['Yes', "Yes, and don't ask again for example.org", 'No, and tell Claude what to do differently (esc)'],
        details: {
          tool: 'WebFetch',
          url: 'https://example.org/page',
          question: 'Do you want to allow Claude to fetch this content?',
        },
      },
    ],
    ['16-final.txt', { rule: null }],
  ];
}

describe('real screens: first run in an untrusted repo with .mcp.json and an external import', () => {
  describe('120×40', () => check('first-run-120x40', firstRun(120)));
  describe('80×40', () => check('first-run-80x40', firstRun(80)));
  describe('60×40', () => check('first-run-60x40', firstRun(60)));

  it('the MCP tool prompt at 60 columns: the wrapped option 2 ("2.Yes, and…" + path) is read whole', () => {
    const d = detectDialog(load('first-run-60x40', '12-permission.txt'));
    expect(d?.options[1]?.label).toMatch(
      /^Yes, and don't ask again for notes - add_note commands in \/tmp\/\S+\/proj$/,
    );
  });

  it('AskUserQuestion: descriptions are kept apart from labels', () => {
    const d = detectDialog(load('first-run-120x40', '13-ask-user-question.txt'));
    expect(d?.options.slice(0, 2)).toEqual([
      { n: 1, label: 'PostgreSQL', selected: true, description: 'Relational, the team default' },
      { n: 2, label: 'SQLite', selected: false, description: 'Embedded, zero setup' },
    ]);
  });
});

describe('real screens: bypass mode and a broken project settings file', () => {
  check('bypass-settings-error-120x40', [
    ['01-trust-folder.txt', TRUST],
    ['02-api-key.txt', API_KEY],
    ['03-bypass-mode.txt', { rule: 'bypass-mode', choice: 'Yes, I accept', keys: '2', selected: 'No, exit' }],
    [
      '04-settings-error.txt',
      { rule: 'settings-error', choice: 'Continue without these settings', keys: '3', selected: 'Fix with Claude' },
    ],
    ['05-idle.txt', { rule: null }],
    ['06-final.txt', { rule: null }],
  ]);

  it('the Settings Error names the broken file', () => {
    const d = detectDialog(load('bypass-settings-error-120x40', '04-settings-error.txt'));
    expect(d?.details?.file).toMatch(/\/proj\/\.claude\/settings\.json$/);
    expect(d?.action).toMatchObject({ report: true });
  });
});

describe('real screens: one MCP server', () => {
  check('single-mcp-80x30', [
    ['01-trust-folder.txt', TRUST],
    [
      '02-mcp-server-single.txt',
      {
        rule: 'mcp-server-single',
        choice: 'Use this MCP server',
        keys: '1',
        labels: [
          'Use this MCP server',
          'Use this and all future MCP servers in this project',
          'Continue without using this MCP server',
        ],
      },
    ],
    ['03-api-key.txt', API_KEY],
    ['04-idle.txt', { rule: null }],
    ['05-final.txt', { rule: null }],
  ]);
});

describe('real screens: answered with arrows instead of digits', () => {
  check('arrows-120x40', [
    ['01-trust-folder.txt', TRUST],
    ['02-mcp-servers.txt', { rule: 'mcp-servers', labels: ['notes', 'web'] }],
    ['03-api-key.txt', API_KEY],
    // Up then Enter: the cursor moved to Yes but the Enter, typed as soon as the screen showed it, was not taken
    ['04-api-key.txt', { ...API_KEY, selected: 'Yes' }],
    ['05-idle.txt', { rule: null }],
    ['06-permission.txt', { ...ESCALATED, selected: 'Yes', details: BASH }],
    // herdr-3615-cursor-on-other-option, for real: the footer loses "Tab to amend" too
    [
      '07-permission.txt',
      { ...ESCALATED, selected: 'Yes, and always allow access to proj/ from this project', details: BASH },
    ],
    ['08-final.txt', { rule: null }],
  ]);
});

describe('real screens: onboarding not seeded, offline', () => {
  check('onboarding-120x40', [['01-connectivity-failed.txt', { rule: 'connectivity-failed', keys: '' }]]);
});
