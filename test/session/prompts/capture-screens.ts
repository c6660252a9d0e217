/**
 * Capture real Claude Code screens as text fixtures for the prompt rules.
 *
 *   npx tsx test/session/prompts/capture-screens.ts [scene...]
 *
 * Each scene starts the pinned CLI (node_modules/.bin/claude) in tmux, in a fresh untrusted git repo
 * and an isolated HOME, against the scripted Messages API, and walks through every dialog by typing
 * what keysFor() returns (escalated permission prompts: the option the scene's operator picks). Every
 * screen met is written to screens/<scene>/<NN>-<rule>.txt. The suite does not run this script (it
 * takes minutes); real-cli.e2e.test.ts runs one short walk, and screens.test.ts checks the detector against
 * the saved screens with expectations written by hand.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../../fixtures/messages-api.js';
import { KEY_BYTES } from '../../../src/session/prompts/index.js';
import { approve, walkScene, type Scene } from './tmux-claude.js';

const OUT = join(import.meta.dirname, 'screens');

/** Every permission prompt kind 2.1.197 shows, in one turn; the WebFetch prompt is refused, ending it. */
function everyTool(dir: string): Scenario {
  const cwdFile = (name: string) => join(dir, name);
  return {
    steps: [
      { tool: 'Bash', input: { command: 'rm -rf build_tmp_dir', description: 'Remove temp dir' } },
      {
        tool: 'Bash',
        input: { command: 'for f in a b c; do\n  echo "$f" > /dev/null\ndone', description: 'Loop over letters' },
      },
      { tool: 'Bash', input: { command: 'npm run test:unit', description: 'Run unit tests' } },
      { tool: 'Read', input: { file_path: cwdFile('README.md') } },
      { tool: 'Edit', input: { file_path: cwdFile('README.md'), old_string: 'fixture', new_string: 'fixture two' } },
      { tool: 'Write', input: { file_path: cwdFile('README.md'), content: 'overwritten\n' } },
      { tool: 'Write', input: { file_path: cwdFile('written.txt'), content: 'hello\n' } },
      { tool: 'mcp__notes__add_note', input: { text: 'remember the milk' } },
      {
        tool: 'AskUserQuestion',
        input: {
          questions: [
            {
              question: 'Which database should the service use?',
              header: 'Database',
              multiSelect: false,
              options: [
                { label: 'PostgreSQL', description: 'Relational, the team default' },
                { label: 'SQLite', description: 'Embedded, zero setup' },
              ],
            },
          ],
        },
      },
      { tool: 'Read', input: { file_path: '/etc/hostname' } },
      { tool: 'WebFetch', input: { url: 'https://example.org/page', prompt: 'summarize' } },
      { text: 'all done' },
    ],
  };
}

/** The operator: yes to every tool, the first answer to a question, no to the fetch (ends the turn). */
function operator(d: Parameters<typeof approve>[0]): number {
  if (d.details?.tool === 'WebFetch') return d.options.find((o) => o.label.toLowerCase().startsWith('no'))?.n ?? 3;
  return approve(d);
}

function firstRun(cols: number): Scene {
  return {
    name: `first-run-${cols}x40`,
    cols,
    rows: 40,
    scenario: everyTool,
    mcpServers: ['notes', 'web'],
    externalImport: true,
    prompt: 'do the task',
    answer: operator,
    timeoutMs: 120_000,
  };
}

const SCENES: Scene[] = [
  firstRun(120),
  firstRun(80),
  firstRun(60),
  {
    name: 'bypass-settings-error-120x40',
    cols: 120,
    rows: 40,
    bypass: true,
    mcpServers: ['notes'],
    projectSettings: JSON.stringify({
      permissions: { defaultMode: 'bogus' },
      hooks: { PreToolUse: [{ matcher: 'Bash' }] },
    }),
    scenario: {
      steps: [{ tool: 'Bash', input: { command: 'true', description: 'Do nothing' } }, { text: 'all done' }],
    },
    prompt: 'do the task',
  },
  {
    name: 'single-mcp-80x30',
    cols: 80,
    rows: 30,
    mcpServers: ['notes'],
    scenario: { steps: [{ text: 'all done' }] },
    prompt: 'hello',
  },
  {
    // every choice made with arrows from the cursor; the Bash prompt seen first with the cursor moved to 2
    name: 'arrows-120x40',
    cols: 120,
    rows: 40,
    arrows: true,
    mcpServers: ['notes', 'web'],
    checklist: (o) => o.label === 'notes',
    scenario: {
      steps: [
        { tool: 'Bash', input: { command: 'rm -rf build_tmp_dir', description: 'Remove temp dir' } },
        { text: 'all done' },
      ],
    },
    prompt: 'do the task',
    answer: (d, seen) => (seen === 1 ? { keys: KEY_BYTES.down } : approve(d)),
  },
  {
    name: 'onboarding-120x40',
    cols: 120,
    rows: 40,
    preseed: false,
    scenario: { steps: [{ text: 'all done' }] },
  },
];

function label(detection: { rule: string } | null, kind: string): string {
  return detection ? detection.rule : kind;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const scenes = wanted.length ? SCENES.filter((s) => wanted.includes(s.name)) : SCENES;
  if (wanted.length && scenes.length !== wanted.length) {
    throw new Error(`unknown scene in ${wanted.join(', ')}; scenes: ${SCENES.map((s) => s.name).join(', ')}`);
  }
  for (const scene of scenes) {
    const dir = join(OUT, scene.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stdout.write(`${scene.name}:\n`);
    await walkScene(scene, (step, i) => {
      const file = `${String(i + 1).padStart(2, '0')}-${label(step.detection, step.kind)}.txt`;
      writeFileSync(join(dir, file), `${step.lines.join('\n')}\n`);
      process.stdout.write(`  ${file}  keys ${JSON.stringify(step.keys)}\n`);
    });
  }
}

await main();
