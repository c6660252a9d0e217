/**
 * Compiles per second for a 20-agent discipline into fresh folders, against copying the same bytes with
 * fs.cp into fresh folders (the least any compiler must do).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileInto } from '../src/compiler/index.js';
import { guardScriptPath } from '../src/paths/package.js';
import { loadRegistry } from '../src/registry/index.js';
import { report } from './stats.js';

function syntheticRegistry(dir: string, agents: number): void {
  for (const f of ['disciplines', 'charters', 'agents', 'tools', 'hooks']) mkdirSync(join(dir, f), { recursive: true });
  const ids = Array.from({ length: agents }, (_, i) => `agent-${i + 1}`);
  writeFileSync(
    join(dir, 'disciplines/big.yaml'),
    [
      'id: big',
      'title: Big Discipline',
      'description: A discipline with many subagents.',
      'keywords: [big, many, agents]',
      'charter: big',
      `agents: [${ids.join(', ')}]`,
      'tools: [fs, web]',
      'hooks: [guard]',
      'permissions:',
      '  allow: ["Bash(npm test *)", "Bash(git status)"]',
      '  deny: ["Read(./.env)"]',
      '  defaultMode: acceptEdits',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'charters/big.md.hbs'),
    [
      '# {{discipline.title}}',
      '',
      '{{{taskBlock}}}',
      '',
      '## Subagents',
      '{{#each agents}}',
      '- **{{name}}**: {{description}}',
      '{{/each}}',
      '',
      '## Tools',
      '{{#each tools}}',
      '- {{name}}: {{description}}',
      '{{/each}}',
      '',
      'Protected: {{join policy.protectedBranches ", "}}',
      ...Array.from({ length: 40 }, (_, i) => `Rule ${i + 1}: keep the work small, tested and explained.`),
      '',
    ].join('\n'),
  );
  for (const id of ids) {
    writeFileSync(
      join(dir, `agents/${id}.md`),
      [
        '---',
        `name: ${id}`,
        `description: Specialist number ${id}. Use proactively after edits to files it knows about.`,
        'tools: Read, Grep, Glob, Bash',
        'model: sonnet',
        '---',
        '',
        ...Array.from(
          { length: 30 },
          (_, i) => `Step ${i + 1}: check one more aspect of the change and report it precisely.`,
        ),
        '',
      ].join('\n'),
    );
  }
  writeFileSync(
    join(dir, 'tools/fs.json'),
    JSON.stringify({ description: 'files', server: { type: 'stdio', command: 'npx', args: ['-y', 'fs-server'] } }),
  );
  writeFileSync(
    join(dir, 'tools/web.json'),
    JSON.stringify({
      description: 'web',
      server: { type: 'http', url: 'https://example.com/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
    }),
  );
  writeFileSync(
    join(dir, 'hooks/guard.json'),
    JSON.stringify({ description: 'guard', policy: { protectedBranches: ['release/*'] } }),
  );
}

export function benchCompile(rounds = 200): void {
  const base = mkdtempSync(join(tmpdir(), 'agency-bench-compile-'));
  try {
    syntheticRegistry(join(base, 'registry'), 20);
    const reg = loadRegistry(join(base, 'registry'));
    const programs = { node: process.execPath, guard: guardScriptPath() };
    const request = { discipline: 'big', task: 'Refactor the billing module and add tests for the edge cases' };
    const template = join(base, 'template');
    mkdirSync(template);
    compileInto(template, reg, request, { programs });

    // warm both paths, then alternate so that neither gets a quieter machine
    let compileMs = 0;
    let copyMs = 0;
    for (let i = 0; i < rounds + 20; i++) {
      const a = join(base, `c${i}`);
      const b = join(base, `p${i}`);
      mkdirSync(a);
      let t = performance.now();
      compileInto(a, reg, request, { programs });
      const c = performance.now() - t;
      t = performance.now();
      cpSync(template, b, { recursive: true });
      const p = performance.now() - t;
      if (i >= 20) {
        compileMs += c;
        copyMs += p;
      }
    }
    const perSec = (ms: number) => (rounds * 1000) / ms;
    report(
      'compile: 20-agent discipline, fresh folders',
      perSec(compileMs),
      'compiles/s',
      perSec(copyMs),
      'fs.cp same bytes',
      perSec(compileMs) / perSec(copyMs),
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
