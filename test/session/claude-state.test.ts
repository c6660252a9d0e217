/** Claude Code's state prepared before a session: onboarding done when the node gives a key, whichever way. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareClaudeState } from '../../src/session/claude-state.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ag-cstate-');
afterAll(() => dir.remove());
const state = (cfg: string) => JSON.parse(readFileSync(join(cfg, '.claude.json'), 'utf8'));

describe('prepareClaudeState', () => {
  it('marks onboarding done for a key from the key helper, and approves no key (none is in the environment)', () => {
    const cfg = join(dir.path, 'helper');
    mkdirSync(cfg);
    const changes = prepareClaudeState({ trust: ['/repo'], env: { CLAUDE_CONFIG_DIR: cfg }, keyHelper: true });
    expect(changes).toContain('marked onboarding done (the node gives its key)');
    const s = state(cfg);
    expect(s.hasCompletedOnboarding).toBe(true);
    expect(s.customApiKeyResponses).toBeUndefined();
    expect(s.projects['/repo'].hasTrustDialogAccepted).toBe(true);
  });

  it('with no key anywhere leaves onboarding to Claude Code; a key in the environment is approved', () => {
    const cfg = join(dir.path, 'none');
    mkdirSync(cfg);
    writeFileSync(join(cfg, '.claude.json'), '{}\n');
    prepareClaudeState({ trust: [], env: { CLAUDE_CONFIG_DIR: cfg } });
    expect(state(cfg).hasCompletedOnboarding).toBeUndefined();
    prepareClaudeState({
      trust: [],
      env: { CLAUDE_CONFIG_DIR: cfg, ANTHROPIC_API_KEY: 'sk-ant-0123456789abcdefghijKLMNOPQRST' },
    });
    expect(state(cfg).customApiKeyResponses.approved).toEqual(['abcdefghijKLMNOPQRST']);
  });
});
