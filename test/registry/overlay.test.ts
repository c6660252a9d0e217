import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRegistryAt, isOrgDir, loadRegistryAt, overlayPrivileges, RegistryError } from '../../src/registry/index.js';
import { agency } from '../helpers/agency.js';
import { tempDir } from '../helpers/tmp.js';

const BASE = new URL('../fixtures/registry-min', import.meta.url).pathname;
let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});

const ORG = `schema: 1
id: fund
name: Fund Operator
description: An AI-managed public-markets fund operator.
vps:
  - id: risk
    name: Risk
    persona: You are the VP of Risk. You keep the fund inside its limits.
    mandate: Keep the fund inside its risk limits.
    disciplines: [stress-testing, backend]
  - id: research
    name: Research
    persona: You lead research.
    mandate: Find signals worth trading.
    disciplines: [docs]
    nodes: [studio-01]
`;
const DISCIPLINE = `id: stress-testing
title: Stress Testing
description: Runs historical and hypothetical stress scenarios over portfolios.
keywords: [stress test, scenario, drawdown]
charter: stress-testing
agents: [scenario-runner, reviewer]
hooks: [guard]
`;
const AGENT = `---
name: scenario-runner
description: Runs one stress scenario over a portfolio and reports the drawdown.
tools: Read, Bash
model: haiku
---
You run stress scenarios.
`;

/** An overlay over the minimal registry, changed by `mutate`. */
function overlay(mutate: (dir: string) => void = () => undefined): string {
  const t = tempDir('agency-org-');
  cleanup.push(t.remove);
  for (const f of ['disciplines', 'charters', 'agents']) mkdirSync(join(t.path, f));
  writeFileSync(join(t.path, 'org.yaml'), ORG);
  writeFileSync(join(t.path, 'disciplines/stress-testing.yaml'), DISCIPLINE);
  writeFileSync(join(t.path, 'charters/stress-testing.md.hbs'), '# Stress testing\n\n{{task}}\n');
  writeFileSync(join(t.path, 'agents/scenario-runner.md'), AGENT);
  mutate(t.path);
  return t.path;
}
const edit = (dir: string, file: string, f: (s: string) => string) =>
  writeFileSync(join(dir, file), f(readFileSync(join(dir, file), 'utf8')));
const messages = (dir: string) => checkRegistryAt(dir, BASE).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);

describe('an organisation overlay', () => {
  it('lays its files over the base registry and carries the org', () => {
    const dir = overlay();
    expect(isOrgDir(dir)).toBe(true);
    expect(isOrgDir(BASE)).toBe(false);
    const reg = loadRegistryAt(dir, BASE);
    expect([...reg.disciplines.keys()].sort()).toEqual(['backend', 'docs', 'stress-testing']);
    expect(reg.agents.has('scenario-runner') && reg.agents.has('reviewer')).toBe(true);
    expect(reg.org?.value.vps.map((v) => [v.id, v.nodes])).toEqual([
      ['risk', []],
      ['research', ['studio-01']],
    ]);
    // the base's files are named by absolute path, the overlay's relative to it
    expect(reg.disciplines.get('backend')!.file).toBe(join(BASE, 'disciplines/backend.yaml'));
    expect(reg.disciplines.get('stress-testing')!.file).toBe('disciplines/stress-testing.yaml');
  });

  it('is a plain registry without org.yaml', () => {
    const reg = loadRegistryAt(BASE, '/nonexistent');
    expect(reg.org).toBeNull();
    expect(reg.disciplines.size).toBe(2);
  });

  it('refuses an id the base has unless org.yaml says replace', () => {
    const dir = overlay((d) => writeFileSync(join(d, 'agents/reviewer.md'), AGENT.replace(/scenario-runner/g, 'reviewer')));
    expect(messages(dir)).toEqual([
      'agents/reviewer.md:1: the base registry has an agent "reviewer" too: rename this one, or set replace: true in org.yaml to replace it',
    ]);
    edit(dir, 'org.yaml', (s) => s.replace('vps:', 'replace: true\nvps:'));
    const reg = loadRegistryAt(dir, BASE);
    expect(reg.agents.get('reviewer')!.file).toBe('agents/reviewer.md');
  });

  it("never replaces a base hook file (a guard policy), even with replace: true", () => {
    const open = JSON.stringify({ description: 'open', approvals: { allow: ['Bash'] } });
    const dir = overlay((d) => {
      mkdirSync(join(d, 'hooks'));
      writeFileSync(join(d, 'hooks/guard.json'), open);
      edit(d, 'org.yaml', (s) => s.replace('vps:', 'replace: true\nvps:'));
    });
    expect(messages(dir)).toEqual([
      'hooks/guard.json:1: the base registry has a hook file "guard" too: guard policies of the base registry cannot be replaced by an organisation; give the file another id and list it in the disciplines that should use it',
    ]);
    // the base's guard stays what the base's disciplines use
    expect(checkRegistryAt(dir, BASE).registry.hooks.get('guard')!.file).toBe(join(BASE, 'hooks/guard.json'));
  });

  it('lists the overlay files that add hook commands or rules allowed unasked, not the base ones', () => {
    const dir = overlay((d) => {
      mkdirSync(join(d, 'hooks'));
      const hook = { description: 'wide', approvals: { allow: ['Bash(npm *)'] }, hooks: { PostToolUse: [{ matcher: 'Edit', hooks: [{ type: 'command', command: 'fmt' }] }] } };
      writeFileSync(join(d, 'hooks/wide.json'), JSON.stringify(hook));
      writeFileSync(join(d, 'hooks/plain.json'), JSON.stringify({ description: 'plain', policy: { secretPaths: ['x'] } }));
      edit(d, 'disciplines/stress-testing.yaml', (s) => s.replace('hooks: [guard]', 'hooks: [guard, wide, plain]\npermissions:\n  allow: ["Read(./**)"]'));
    });
    const reg = loadRegistryAt(dir, BASE);
    expect(overlayPrivileges(reg)).toEqual([
      { file: 'disciplines/stress-testing.yaml', hooks: [], allow: ['Read(./**)'] },
      { file: 'hooks/wide.json', hooks: ['PostToolUse'], allow: ['Bash(npm *)'] },
    ]);
    // the base's own guard allows rules too, and is not listed
    expect(overlayPrivileges(loadRegistryAt(overlay(), BASE))).toEqual([]);
  });

  it('names VPs that list an unknown discipline, share one, or repeat', () => {
    const dir = overlay((d) =>
      edit(d, 'org.yaml', (s) =>
        s.replace('disciplines: [docs]', 'disciplines: [docs, backend, nope]').replace('id: research', 'id: risk'),
      ),
    );
    expect(messages(dir)).toEqual([
      'org.yaml:11: VP "risk" is listed twice',
      'org.yaml:15: discipline "backend" belongs to VP risk and to VP risk: give it one VP',
      'org.yaml:15: VP risk: unknown discipline "nope" (no disciplines/nope.yaml in the overlay or the base registry)',
    ]);
  });

  it('checks org.yaml against its schema, with lines', () => {
    const dir = overlay((d) =>
      edit(d, 'org.yaml', (s) =>
        s.replace('id: fund', 'id: ../fund').replace('mandate: Find', 'mandate: "Find\\u001b[2J"\n    hooks: x\n    x: Find'),
      ),
    );
    const m = messages(dir);
    expect(m).toContain('org.yaml:2: id: org id "../fund" is not valid: use lowercase letters, digits and hyphens, starting with a letter (at most 64 characters)');
    expect(m.some((x) => /^org\.yaml:\d+: vps\.1\.mandate: one line of plain text/.test(x))).toBe(true);
    expect(m.some((x) => /^org\.yaml:\d+: vps\.1: unknown key "hooks", "x"$/.test(x))).toBe(true);
    expect(() => loadRegistryAt(dir, BASE)).toThrow(RegistryError);
  });

  it('checks references inside the overlay and into the base', () => {
    const dir = overlay((d) => edit(d, 'disciplines/stress-testing.yaml', (s) => s.replace('hooks: [guard]', 'hooks: [guard, strict]')));
    expect(messages(dir)).toEqual([
      'disciplines/stress-testing.yaml:7: unknown hook file "strict" (no hooks/strict.json in the registry)',
    ]);
  });

  it('passes agency registry check, and fails it naming the overlay file', () => {
    const dir = overlay();
    const ok = agency(['registry', 'check', dir, '--json'], { env: { AGENCY_REGISTRY: BASE } });
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, counts: { disciplines: 3 } });
    edit(dir, 'agents/scenario-runner.md', (s) => s.replace('model: haiku', 'model: gpt-4'));
    const bad = agency(['registry', 'check', dir], { env: { AGENCY_REGISTRY: BASE }, cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^agents\/scenario-runner\.md:5: model: model must be/m);
  });
});
