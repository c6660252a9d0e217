import { cpSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agency } from '../helpers/agency.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = new URL('../fixtures/registry-min', import.meta.url).pathname;
let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});

/** A copy of the minimal registry, broken by `mutate`. */
function broken(mutate: (dir: string) => void): string {
  const t = tempDir('agency-reg-');
  cleanup.push(t.remove);
  cpSync(MIN, t.path, { recursive: true });
  mutate(t.path);
  return t.path;
}
function edit(dir: string, file: string, f: (s: string) => string) {
  writeFileSync(join(dir, file), f(readFileSync(join(dir, file), 'utf8')));
}
/** The single error line for a broken registry; asserts exit 1 and one problem. */
function oneError(dir: string): string {
  const r = agency(['registry', 'check', dir], { cwd: dir });
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(/^1 problem\(s\) in registry/);
  expect(lines).toHaveLength(2);
  return lines[0] as string;
}

describe('agency registry check', () => {
  it('passes the registry agency ships', () => {
    const r = agency(['registry', 'check', '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.problems).toEqual([]);
    expect(r.code).toBe(0);
    expect(out.counts.disciplines).toBeGreaterThanOrEqual(8);
  });
  it('passes the minimal test registry', () => {
    expect(agency(['registry', 'check', MIN]).code).toBe(0);
  });
  it('names file and line for bad YAML', () => {
    const dir = broken((d) => edit(d, 'disciplines/backend.yaml', (s) => s.replace('keywords: [api,', 'keywords: [api,,\n  oops: [')));
    expect(oneError(dir)).toMatch(/^disciplines\/backend\.yaml:\d+: invalid YAML/);
  });
  it('names file and line for an unknown agent id', () => {
    const dir = broken((d) => edit(d, 'disciplines/backend.yaml', (s) => s.replace('agents: [reviewer, tester]', 'agents: [reviewer, ghost]')));
    expect(oneError(dir)).toBe('disciplines/backend.yaml:6: unknown agent "ghost" (no agents/ghost.md in the registry)');
  });
  it('names file and line for a missing charter', () => {
    const dir = broken((d) => rmSync(join(d, 'charters/docs.md.hbs')));
    expect(oneError(dir)).toBe('disciplines/docs.yaml:5: missing charter "docs" (no charters/docs.md.hbs in the registry)');
  });
  it('rejects a discipline id that is a path', () => {
    const dir = broken((d) => edit(d, 'disciplines/docs.yaml', (s) => s.replace('id: docs', 'id: ../../etc')));
    expect(oneError(dir)).toMatch(/^disciplines\/docs\.yaml:1: id: discipline id "\.\.\/\.\.\/etc" is not valid/);
  });
  it('rejects a file whose name is not an id', () => {
    const dir = broken((d) => renameSync(join(d, 'agents/tester.md'), join(d, 'agents/Tester Agent.md')));
    const r = agency(['registry', 'check', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/agents\/Tester Agent\.md: file name: agent id "Tester Agent" is not valid/);
  });
  it('names the line of a bad value deep in a file', () => {
    const dir = broken((d) => edit(d, 'disciplines/backend.yaml', (s) => s.replace('"Bash(npm test *)"', '"Write(./src/**)"')));
    expect(oneError(dir)).toMatch(/^disciplines\/backend\.yaml:10: permissions\.allow\[1\]: .*never consulted/);
  });
  it('names the line of a bad agent frontmatter key and of a JSON syntax error', () => {
    const a = broken((d) => edit(d, 'agents/reviewer.md', (s) => s.replace('model: haiku', 'model: haiku\ncolour: blue')));
    expect(oneError(a)).toBe('agents/reviewer.md:6: colour: unknown key (Claude Code or agency would ignore it)');
    const j = broken((d) => edit(d, 'tools/notes.json', (s) => s.replace('"description"', '"description" "x",')));
    expect(oneError(j)).toMatch(/^tools\/notes\.json:2: invalid JSON/);
  });
  it('rejects a literal secret in an MCP server entry', () => {
    const dir = broken((d) => edit(d, 'tools/notes.json', (s) => s.replace('"${NOTES_TOKEN}"', '"ghp_live_secret"')));
    expect(oneError(dir)).toMatch(/^tools\/notes\.json:7: server\.env\.NOTES_TOKEN: .*looks like a secret/);
  });
  it("refuses a tool file named agency: the name is agency's own MCP server's", () => {
    const dir = broken((d) => cpSync(join(d, 'tools/notes.json'), join(d, 'tools/agency.json')));
    expect(oneError(dir)).toBe(
      `tools/agency.json: the name "agency" is taken by agency's own MCP server (a session's workers): rename this file, and the tools: entries that name it`,
    );
  });
  it("lets a subagent list agency's own MCP tools, and no other server's the registry lacks", () => {
    const ok = broken((d) =>
      edit(d, 'agents/reviewer.md', (s) => s.replace('tools: Read, Grep, Glob', 'tools: Read, mcp__agency__spawn_workers, mcp__agency__wait_workers')),
    );
    expect(agency(['registry', 'check', ok]).code).toBe(0);
    const bad = broken((d) => edit(d, 'agents/reviewer.md', (s) => s.replace('tools: Read, Grep, Glob', 'tools: Read, mcp__agencies__spawn_workers')));
    expect(oneError(bad)).toBe(
      'agents/reviewer.md:4: tool "mcp__agencies__spawn_workers" refers to MCP server "agencies", which no tools/ file defines',
    );
  });
  it('reports a charter template error with its line', () => {
    const dir = broken((d) => writeFileSync(join(d, 'charters/docs.md.hbs'), '# Docs\n\n{{#each agents}}\n- {{name}}\n'));
    expect(oneError(dir)).toMatch(/^charters\/docs\.md\.hbs:\d+: template error/);
    const typo = broken((d) => writeFileSync(join(d, 'charters/docs.md.hbs'), '# Docs\n{{{taskBlock}}}\n{{dicsipline.title}}\n'));
    expect(oneError(typo)).toMatch(/^charters\/docs\.md\.hbs:\d+: template error: .*dicsipline/);
  });
  it('reports every problem at once, and a missing folder clearly', () => {
    const dir = broken((d) => {
      edit(d, 'disciplines/backend.yaml', (s) => s.replace('agents: [reviewer, tester]', 'agents: [ghost]'));
      rmSync(join(d, 'charters/docs.md.hbs'));
    });
    const r = agency(['registry', 'check', dir, '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems).toHaveLength(2);
    const none = agency(['registry', 'check', join(dir, 'nope')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/registry folder does not exist/);
  });
});
