/**
 * detectDialog on the verbatim dialogs of claude-code-facts.md §10, placed at the bottom of a 120×40
 * screen under some transcript, and on the variants that broke other tools in the field.
 */
import { describe, expect, it } from 'vitest';
import { detectDialog, keysFor, type Detection } from '../../../src/session/prompts/index.js';
import * as F from './facts-screens.js';

function detect(lines: string[]): Detection {
  const d = detectDialog(lines);
  if (!d) throw new Error(`no dialog detected on:\n${lines.join('\n')}`);
  return d;
}

const labels = (d: Detection) => d.options.map((o) => o.label);
const selectedLabel = (d: Detection) => d.options.find((o) => o.selected)?.label;

describe('the verbatim 2.1.197 dialogs (facts §10)', () => {
  it('trust: chooses "Yes, I trust this folder" and presses its digit', () => {
    const d = detect(F.screen(F.TRUST));
    expect(d.rule).toBe('trust-folder');
    expect(labels(d)).toEqual(['Yes, I trust this folder', 'No, exit']);
    expect(d.choice).toEqual({ n: 1, label: 'Yes, I trust this folder' });
    expect(keysFor(d)).toBe('1');
  });

  it('trust with pre-approved permissions and directories listed', () => {
    const d = detect(F.screen(F.TRUST_PREAPPROVES));
    expect(d.rule).toBe('trust-folder');
    expect(keysFor(d)).toBe('1');
  });

  it('api key: the default is "No (recommended)", the choice is "Yes"', () => {
    const d = detect(F.screen(F.API_KEY));
    expect(d.rule).toBe('api-key');
    expect(selectedLabel(d)).toBe('No (recommended)');
    expect(d.choice).toEqual({ n: 1, label: 'Yes' });
    expect(keysFor(d)).toBe('1');
  });

  it('several MCP servers: a checklist, every server ticked, Enter confirms the ticked set', () => {
    const d = detect(F.screen(F.MCP_SERVERS));
    expect(d.rule).toBe('mcp-servers');
    expect(d.structure).toBe('checklist');
    expect(d.options).toEqual([
      { n: 1, label: 'fs', selected: true, checked: true },
      { n: 2, label: 'web', selected: false, checked: true },
    ]);
    expect(keysFor(d)).toBe('\r');
  });

  it('a single MCP server: "Use this MCP server", not all future ones', () => {
    const d = detect(F.screen(F.MCP_SINGLE));
    expect(d.rule).toBe('mcp-server-single');
    expect(d.choice?.label).toBe('Use this MCP server');
  });

  it('external CLAUDE.md imports: refused and reported (no footer on this screen)', () => {
    const d = detect(F.screen(F.EXTERNAL_IMPORTS));
    expect(d.rule).toBe('external-imports');
    expect(d.choice).toEqual({ n: 2, label: 'No, disable external imports' });
    expect(d.action).toMatchObject({ report: true });
    expect(keysFor(d)).toBe('2');
  });

  it('bypass mode: the default is "No, exit", the choice is "Yes, I accept"', () => {
    const d = detect(F.screen(F.BYPASS));
    expect(d.rule).toBe('bypass-mode');
    expect(selectedLabel(d)).toBe('No, exit');
    expect(keysFor(d)).toBe('2');
  });

  it('Settings Error: continue without the broken file, report it and name it', () => {
    const d = detect(F.screen(F.SETTINGS_ERROR));
    expect(d.rule).toBe('settings-error');
    expect(d.choice).toEqual({ n: 3, label: 'Continue without these settings' });
    expect(d.action).toMatchObject({ report: true });
    expect(d.details?.file).toBe('/scratch/proj5/.claude/settings.json');
    expect(keysFor(d)).toBe('3');
  });

  it('Bash permission prompt: escalated with the tool and the command, nothing typed', () => {
    const d = detect(F.screen(F.BASH));
    expect(d.rule).toBe('permission');
    expect(d.action).toEqual({ escalate: true });
    expect(d.details).toEqual({ tool: 'Bash', command: 'rm -rf build_tmp_dir', question: 'Do you want to proceed?' });
    expect(keysFor(d)).toBe('');
  });

  it('Write permission prompt: the file from the subtitle', () => {
    const d = detect(F.screen(F.WRITE));
    expect(d.rule).toBe('permission');
    expect(d.details).toMatchObject({ tool: 'Write', file: 'written.txt' });
  });

  it('webfetch-option-3-esc: "No, and tell Claude what to do differently (esc)" read whole, the URL extracted', () => {
    const d = detect(F.screen(F.WEBFETCH));
    expect(d.rule).toBe('permission');
    expect(d.details).toMatchObject({ tool: 'WebFetch', url: 'https://example.org/page' });
    expect(d.options[2]).toEqual({ n: 3, label: 'No, and tell Claude what to do differently (esc)', selected: false });
  });
});

describe('regressions from the field', () => {
  it('gastown-4821-trust-order-flipped: "No, exit" first and selected; still "Yes, I trust this folder", by its digit', () => {
    const d = detect(F.screen(F.TRUST_FLIPPED));
    expect(selectedLabel(d)).toBe('No, exit');
    expect(d.choice).toEqual({ n: 2, label: 'Yes, I trust this folder' });
    expect(keysFor(d)).toBe('2');
  });

  for (const cols of [60, 80]) {
    it(`aoe-3412-wrapped-trust-prose at ${cols} columns`, () => {
      const lines = F.screen(F.rewrap(F.TRUST, cols), { cols });
      expect(
        lines.some(
          (l) =>
            l.trim() ===
            "Quick safety check: Is this a project you created or one you trust? (Like your own code, a well-known open source project, or work from your team). If not, take a moment to review what's in this folder first.",
        ),
      ).toBe(false);
      const d = detect(lines);
      expect(d.rule).toBe('trust-folder');
      expect(keysFor(d)).toBe('1');
    });

    it(`aoe-3412-wrapped-dialogs: every §10 dialog re-wrapped at ${cols} columns is still recognised`, () => {
      const cases: [string, string, string][] = [
        [F.TRUST_FLIPPED, 'trust-folder', '2'],
        [F.API_KEY, 'api-key', '1'],
        [F.MCP_SERVERS, 'mcp-servers', '\r'],
        [F.MCP_SINGLE, 'mcp-server-single', '1'],
        [F.EXTERNAL_IMPORTS, 'external-imports', '2'],
        [F.BYPASS, 'bypass-mode', '2'],
        [F.SETTINGS_ERROR, 'settings-error', '3'],
        [F.BASH, 'permission', ''],
        [F.WEBFETCH, 'permission', ''],
      ];
      for (const [dialog, rule, keys] of cases) {
        const d = detect(F.screen(F.rewrap(dialog, cols), { cols }));
        expect([d.rule, keysFor(d)]).toEqual([rule, keys]);
      }
    });
  }

  it('aoe-3412-wrapped-option-label: a label wrapped onto the next line is read whole', () => {
    const d = detect(F.screen(F.rewrap(F.WEBFETCH, 40), { cols: 40 }));
    expect(d.options.map((o) => o.label)).toEqual([
      'Yes',
      "Yes, and don't ask again for example.org",
      'No, and tell Claude what to do differently (esc)',
    ]);
  });

  it('wrapped-label-loses-its-space: 2.1.197 at 60 columns draws "2.Yes, and always…" (real screen)', () => {
    const dialog = [
      ' Bash command',
      '',
      '   rm -rf build_tmp_dir',
      '   Remove temp dir',
      '',
      ' Do you want to proceed?',
      ' ❯ 1. Yes',
      '   2.Yes, and always allow access to repo2/ from this',
      '     project',
      '   3. No',
      '',
      ' Esc to cancel · Tab to amend · ctrl+e to explain',
    ];
    const d = detect(F.screen(dialog, { cols: 60 }));
    expect(labels(d)).toEqual(['Yes', 'Yes, and always allow access to repo2/ from this project', 'No']);
  });

  it('relay-756-trust-wording-proceed: the 2.1.19 trust dialog ("Do you trust the files…" / "Yes, proceed")', () => {
    const d = detect(F.screen(F.TRUST_OLD));
    expect(d.rule).toBe('trust-folder');
    expect(d.choice).toEqual({ n: 1, label: 'Yes, proceed' });
  });

  it('relay-756-trust-in-a-box: the same dialog drawn inside a rounded box', () => {
    const inner = F.TRUST_OLD.replace(/^\n/, '')
      .split('\n')
      .filter((l) => !l.startsWith('Enter'));
    const boxed = [
      '╭' + '─'.repeat(78) + '╮',
      ...inner.map((l) => `│ ${l.padEnd(77)}│`),
      '╰' + '─'.repeat(78) + '╯',
      '   Enter to confirm · Esc to exit',
    ];
    const d = detect(F.screen(boxed, { noRule: true }));
    expect(d.rule).toBe('trust-folder');
    expect(keysFor(d)).toBe('1');
  });

  it('herdr-3615-cursor-on-other-option: the Bash prompt with ❯ on option 2 is still the same prompt', () => {
    const moved = F.BASH.replace(' ❯ 1. Yes\n   2.', '   1. Yes\n ❯ 2.').replace(
      'Esc to cancel · Tab to amend · ctrl+e',
      'Esc to cancel · ctrl+e',
    );
    const d = detect(F.screen(moved));
    expect(d.rule).toBe('permission');
    expect(selectedLabel(d)).toBe('Yes, and always allow access to proj2/ from this project');
    expect(d.details?.command).toBe('rm -rf build_tmp_dir');
  });

  it('herdr-3615-option-2-wording: the prefix suggestion variant', () => {
    const d = detect(F.screen(F.BASH_PREFIX));
    expect(d.rule).toBe('permission');
    expect(d.details).toMatchObject({ tool: 'Bash', command: 'npm run test:unit' });
  });

  it("curly-vs-straight-apostrophe: don’t and don't read the same", () => {
    const curly = detect(F.screen(F.BASH_PREFIX));
    const straight = detect(F.screen(F.BASH_PREFIX.replace('don’t', "don't")));
    expect(curly.options[1]?.label).toBe("Yes, and don't ask again for: npm run *");
    expect(straight.options).toEqual(curly.options);
  });

  it('ccbot-21-edit-prompt-question: "Do you want to make this edit to <file>?" is a permission prompt', () => {
    const d = detect(F.screen(F.EDIT));
    expect(d.rule).toBe('permission');
    expect(d.details).toEqual({
      tool: 'Edit',
      file: 'src/app.ts',
      question: 'Do you want to make this edit to app.ts?',
    });
  });

  it('ccbot-21-edit-prompt-without-heading: the question alone still names the tool and file', () => {
    const d = detect(F.screen(F.EDIT.split('\n').slice(3), { noRule: true }));
    expect(d.rule).toBe('permission');
    expect(d.details).toMatchObject({ tool: 'Edit', file: 'app.ts' });
  });

  it('unleashed-31-footer-changed: "Tab to add" instead of "Tab to amend", ANSI codes inside lines', () => {
    const raw = F.BASH.replace('Tab to amend', 'Tab to add').replace(
      ' ❯ 1. Yes',
      ' \x1b[38;5;153m❯\x1b[39m \x1b[1m1. Yes\x1b[0m',
    );
    const d = detect(F.screen(raw));
    expect(d.rule).toBe('permission');
    expect(d.options[0]).toEqual({ n: 1, label: 'Yes', selected: true });
  });

  it('ccmanager-322-prompt-without-question: a Claude-in-Chrome style menu (Allow … Deny (esc)) is escalated, never answered', () => {
    const chrome = [
      ' Claude in Chrome',
      '',
      '   navigate to https://example.org',
      '',
      ' ❯ 1. Allow',
      '   2. Allow for this site',
      '   3. Deny (esc)',
    ];
    const d = detect(F.screen(chrome));
    expect('escalate' in d.action).toBe(true);
    expect(keysFor(d)).toBe('');
  });

  it('bram-197-reworded-labels: fragments, not sentences, carry a reworded default', () => {
    const reworded = F.TRUST_FLIPPED.replace('Yes, I trust this folder', 'Yes, I trust this workspace');
    const d = detect(F.screen(reworded));
    expect(d.choice).toEqual({ n: 2, label: 'Yes, I trust this workspace' });
    const apiKey = detect(
      F.screen(F.API_KEY.replace('1. Yes', '1. Yes (recommended)').replace('No (recommended)', 'No')),
    );
    expect(apiKey.choice).toEqual({ n: 1, label: 'Yes (recommended)' });
  });

  it('a choose rule whose labels are all gone reports a problem and types nothing', () => {
    const d = detect(F.screen(F.API_KEY.replace('1. Yes', '1. Accept').replace('No (recommended)', 'Decline')));
    expect(d.rule).toBe('api-key');
    expect(d.choice).toBeUndefined();
    expect(d.problem).toMatch(/no option matches "Yes".*"Accept", "Decline"/);
    expect(keysFor(d)).toBe('');
  });
});

describe('what is not a dialog', () => {
  it('the idle input box (❯ between two rules) is not a dialog', () => {
    expect(detectDialog(F.screen([], { above: [...F.TRANSCRIPT, ...F.idleBox(120)], noRule: true }))).toBeNull();
  });

  it('an idle box holding a typed numbered list is not a menu', () => {
    const box = [F.rule(120), '❯ 1. fix the bug', '  2. run the tests', F.rule(120), '  ? for shortcuts'];
    expect(detectDialog(F.screen([], { above: [...F.TRANSCRIPT, ...box], noRule: true }))).toBeNull();
  });

  it('a numbered list in the transcript, Claude at work, is not a menu', () => {
    const working = [...F.TRANSCRIPT, '✻ Thinking… (esc to interrupt)', '', ...F.idleBox(120)];
    expect(detectDialog(F.screen([], { above: working, noRule: true }))).toBeNull();
  });

  it('stale-dialog-above-idle-prompt: a dialog left above a later idle prompt does not count', () => {
    const stale = [...F.TRANSCRIPT, F.rule(120), ...F.TRUST.split('\n'), '', '● Done.', '', ...F.idleBox(120)];
    expect(detectDialog(F.screen([], { above: stale, noRule: true }))).toBeNull();
  });

  it('stale-dialog-above-exit-message: Claude exited after the dialog', () => {
    const exited = [
      ...F.TRANSCRIPT,
      F.rule(120),
      ...F.BASH.split('\n'),
      '',
      'Resume this session with:',
      'claude --resume 9d04a5e6-a3e8-4d98-b3f3-9d309a14a017',
    ];
    expect(detectDialog(F.screen([], { above: exited, noRule: true }))).toBeNull();
  });

  it('only the last dialog counts: an old trust dialog above a live Bash prompt', () => {
    const lines = F.screen(F.BASH, {
      above: [F.rule(120), ...F.TRUST.split('\n'), '', '● Bash(rm -rf build_tmp_dir)', '  ⎿  Waiting…', ''],
    });
    expect(detect(lines).rule).toBe('permission');
  });

  it('an empty screen, and a screen of blanks', () => {
    expect(detectDialog([])).toBeNull();
    expect(detectDialog(Array.from({ length: 40 }, () => ''))).toBeNull();
  });
});

/**
 * First-run screens could not be captured here (offline, the connectivity check fails first: see
 * screens/onboarding-120x40); these use the strings of the 2.1.197 binary (facts §10 [BIN]) in the
 * layout of the other dialogs.
 */
describe('first-run onboarding (strings from the binary)', () => {
  it('theme picker: "Dark mode"', () => {
    const theme = [
      " Let's get started.",
      '',
      ' Choose the text style that looks best with your terminal',
      ' To change this later, run /theme',
      '',
      ' ❯ 1. Auto (match terminal)',
      '   2. Dark mode',
      '   3. Light mode',
      '   4. Dark mode (colorblind-friendly)',
      '   5. Light mode (colorblind-friendly)',
      '   6. Dark mode (ANSI colors only)',
      '   7. Light mode (ANSI colors only)',
    ];
    const d = detect(F.screen(theme, { above: [], noRule: true }));
    expect(d.rule).toBe('onboarding-theme');
    expect(d.choice).toEqual({ n: 2, label: 'Dark mode' });
  });

  it('security notes: a page without options, Enter continues', () => {
    const notes = [
      ' Security notes:',
      '',
      ' 1 Claude can make mistakes.',
      "   You're responsible for Claude's actions and should always",
      '   review them, especially when running code.',
      '',
      ' 2 Due to prompt injection risks, only use it with code you trust',
      '   https://code.claude.com/docs/en/security',
      '',
      ' Press Enter to continue…',
    ];
    const d = detect(F.screen(notes, { above: [], noRule: true }));
    expect(d.rule).toBe('onboarding-security-notes');
    expect(keysFor(d)).toBe('\r');
  });

  it('login method: fails the session with what to do, and types nothing', () => {
    const login = [
      ' Claude Code can be used with your Claude subscription or billed based on API usage through your Console account.',
      '',
      ' Select login method:',
      '',
      ' ❯ 1. Claude account with subscription · Pro, Max, Team, or Enterprise',
      '   2. Anthropic Console account · API usage billing',
      '   3. 3rd-party platform · Amazon Bedrock, Microsoft Foundry, or Vertex AI',
    ];
    const d = detect(F.screen(login, { above: [], noRule: true }));
    expect(d.rule).toBe('onboarding-login');
    expect(d.action).toMatchObject({ fail: expect.stringMatching(/ANTHROPIC_API_KEY/), report: true });
    expect(keysFor(d)).toBe('');
  });

  it('terminal setup: "No, maybe later with /terminal-setup"', () => {
    const setup = [
      " Use Claude Code's terminal setup?",
      '',
      ' For the optimal coding experience, enable the recommended settings',
      ' for your terminal: Shift+Enter for newlines',
      '',
      ' ❯ 1. Yes, use recommended settings',
      '   2. No, maybe later with /terminal-setup',
      '',
      ' Enter to confirm · Esc to skip',
    ];
    const d = detect(F.screen(setup, { above: [], noRule: true }));
    expect(d.rule).toBe('onboarding-terminal-setup');
    expect(keysFor(d)).toBe('2');
  });
});

describe('other escalations', () => {
  it('plan approval (ExitPlanMode) goes to the operator', () => {
    const plan = [
      ' Ready to code?',
      '',
      " Here is Claude's plan:",
      ' 1. Add the endpoint',
      ' 2. Test it',
      '',
      ' Claude has written up a plan and is ready to execute. Would you like to proceed?',
      '',
      ' ❯ 1. Yes, and auto-accept edits',
      '   2. Yes, manually approve edits',
      '   3. No, keep planning',
    ];
    const d = detect(F.screen(plan));
    expect(d.rule).toBe('plan-approval');
    expect(d.options.map((o) => o.label)).toEqual([
      'Yes, and auto-accept edits',
      'Yes, manually approve edits',
      'No, keep planning',
    ]);
    expect(keysFor(d)).toBe('');
  });
});
