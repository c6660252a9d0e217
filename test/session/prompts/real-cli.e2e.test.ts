/**
 * The rules against the real Claude Code CLI (the pinned devDependency) in tmux: a first launch in an
 * untrusted repo, every dialog answered with the keys the rules give, then a permission prompt answered
 * as the operator would. The oracle is what Claude Code itself saved and did, not what the detector said.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from '../../../src/session/prompts/index.js';
import { FAKE_API_KEY } from '../../helpers/claude.js';
import { approve, walkScene } from './tmux-claude.js';

const readJson = (path: string): Record<string, unknown> =>
  existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};

describe('the real Claude Code CLI in tmux', () => {
  it(
    'walks trust, MCP servers, external imports and the API key by the rules, and Claude Code keeps those answers',
    { timeout: 120_000 },
    async () => {
      let saved: {
        project?: Record<string, unknown>;
        approvedKeys?: unknown;
        local?: Record<string, unknown>;
        marker?: boolean;
      } = {};
      const steps = await walkScene({
        name: 'real-cli-test',
        cols: 100,
        rows: 40,
        mcpServers: ['notes', 'web'],
        externalImport: true,
        // untick "web": Down, Space, Enter, each typed once the screen shows the previous one
        checklist: (o) => o.label === 'notes',
        scenario: {
          steps: [
            { tool: 'Bash', input: { command: 'echo hi > marker.txt', description: 'Write a marker' } },
            { text: 'all done' },
          ],
        },
        prompt: 'do the task',
        // the operator first moves the cursor (herdr-3615: the prompt must still be read), then answers by digit
        answer: (d, seen) => (seen === 1 ? { keys: KEY_BYTES.down } : approve(d)),
        timeoutMs: 100_000,
        onFinish: ({ dir, configDir }) => {
          const config = readJson(join(configDir, '.claude.json'));
          const projects = (config.projects ?? {}) as Record<string, Record<string, unknown>>;
          saved = {
            project: projects[dir],
            approvedKeys: (config.customApiKeyResponses as { approved?: unknown } | undefined)?.approved,
            local: readJson(join(dir, '.claude', 'settings.local.json')),
            marker: existsSync(join(dir, 'marker.txt')),
          };
        },
      });

      expect(steps.map((s) => s.detection?.rule ?? s.kind)).toEqual([
        'trust-folder',
        'mcp-servers',
        'external-imports',
        'api-key',
        'idle',
        'permission',
        'permission',
        'final',
      ]);
      expect(steps.map((s) => s.keys)).toEqual([
        '1',
        `${KEY_BYTES.down} ${KEY_BYTES.enter}`,
        '2',
        '1',
        'do the task\r',
        KEY_BYTES.down,
        '1',
        '',
      ]);
      expect(steps[6]?.detection?.options.find((o) => o.selected)?.n).toBe(2);

      expect(saved.project?.hasTrustDialogAccepted).toBe(true);
      expect(saved.project?.hasClaudeMdExternalIncludesApproved).toBe(false);
      expect(saved.approvedKeys).toEqual([FAKE_API_KEY.slice(-20)]);
      expect(saved.local?.enabledMcpjsonServers).toEqual(['notes']);
      expect(saved.local?.disabledMcpjsonServers).toEqual(['web']);
      expect(saved.marker).toBe(true);
    },
  );
});
