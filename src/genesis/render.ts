/**
 * A plan as the overlay's files. Everything a model wrote is data in a structure we write: front matter and
 * YAML by the yaml library (a model cannot add keys such as hooks), charter text escaped so that Handlebars
 * sees no `{{`, permissions from one fixed template, subagent tools from the allowlist the schema enforced.
 */
import { stringify } from 'yaml';
import { ORG_FILE, ORG_SCHEMA_VERSION } from '../registry/index.js';
import type { Plan, PlannedVp } from './generate.js';
import type { DisciplineAnswer, AgentAnswer } from './schemas.js';

/** path relative to the overlay → content */
export type Files = Map<string, string>;

/** The permissions of every generated discipline: git work is allowed, pushing asks, secrets are denied. */
export const GENERATED_PERMISSIONS = {
  allow: [
    'Bash(git status)',
    'Bash(git diff *)',
    'Bash(git log *)',
    'Bash(git show *)',
    'Bash(git add *)',
    'Bash(git commit *)',
  ],
  ask: ['Bash(git push *)'],
  deny: [
    'Read(./**/.env)',
    'Read(./**/.env.*)',
    'Read(./**/*.pem)',
    'Read(./**/*.key)',
    'Read(~/.ssh/**)',
    'Bash(git push --force *)',
    'Bash(git push -f *)',
  ],
  defaultMode: 'default',
};

/** Text that Handlebars renders as it is: no `{{` or `}}` is left for it to read as a template. */
export function escapeHandlebars(s: string): string {
  let out = s;
  while (out.includes('{{') || out.includes('}}')) out = out.replaceAll('{{', '{ {').replaceAll('}}', '} }');
  return out;
}

const norm = (s: string) => s.replace(/\r\n?/g, '\n').trim();
const yaml = (v: unknown) => stringify(v, { lineWidth: 0 });

export function renderOverlay(plan: Plan): Files {
  const files: Files = new Map();
  files.set(ORG_FILE, renderOrg(plan));
  for (const vp of plan.vps)
    for (const d of vp.disciplines) {
      files.set(`disciplines/${d.id}.yaml`, renderDiscipline(d));
      files.set(`charters/${d.id}.md.hbs`, renderCharter(plan, vp, d));
      for (const a of d.agents) files.set(`agents/${a.name}.md`, renderAgent(a));
    }
  return files;
}

function renderOrg(plan: Plan): string {
  const doc = {
    schema: ORG_SCHEMA_VERSION,
    id: plan.org.id,
    name: plan.org.name,
    description: plan.org.description,
    replace: plan.org.replace,
    vps: plan.vps.map((vp) => ({
      id: vp.id,
      name: vp.name,
      persona: norm(vp.persona),
      mandate: vp.mandate,
      disciplines: [...vp.disciplines.map((d) => d.id), ...vp.others],
      nodes: vp.nodes,
    })),
  };
  return `# Written by agency genesis. Edit the VPs and run genesis again: only what changed is generated again.\n${yaml(doc)}`;
}

function renderDiscipline(d: DisciplineAnswer & { agents: AgentAnswer[] }): string {
  return yaml({
    id: d.id,
    title: d.title,
    description: d.description,
    keywords: d.keywords,
    charter: d.id,
    agents: d.agents.map((a) => a.name),
    tools: d.tools,
    hooks: d.hooks,
    model: d.model,
    ...(d.check ? { check: d.check } : {}),
    permissions: GENERATED_PERMISSIONS,
  });
}

function renderAgent(a: AgentAnswer): string {
  const front = { name: a.name, description: a.description, tools: a.tools.join(', '), model: a.model };
  return `---\n${yaml(front)}---\n\n${norm(a.prompt)}\n`;
}

function renderCharter(plan: Plan, vp: PlannedVp, d: DisciplineAnswer): string {
  const e = (s: string) => escapeHandlebars(norm(s));
  return [
    '# {{discipline.title}}',
    '',
    `You are a senior specialist of this discipline in ${e(plan.org.name)}, working in this git worktree for ${e(vp.name)}, whose mandate is: ${e(vp.mandate)}`,
    '',
    '{{discipline.description}}',
    '',
    '## The task',
    '',
    '{{{taskBlock}}}',
    '',
    '## How you work',
    '',
    e(d.charter),
    '',
    '## Subagents',
    '',
    'Delegate with the Agent tool. A subagent starts with an empty context: give it the scope, what you already',
    'know, and what you need back.',
    '',
    '{{#each agents}}',
    '- **{{name}}**: {{description}}',
    '{{/each}}',
    '',
    '## MCP servers',
    '',
    '{{#if tools}}',
    '{{#each tools}}',
    '- `{{name}}`: {{description}}',
    '{{/each}}',
    '{{else}}',
    'No MCP servers are configured for this discipline; work from the repository and the shell.',
    '{{/if}}',
    '',
    '## Memory bank',
    '',
    '`{{memoryBank}}/` carries this work across sessions and hand-overs; keep it current.',
    '',
    '- At the start of every session, read `{{memoryBank}}/productContext.md`, `{{memoryBank}}/activeContext.md` and `{{memoryBank}}/progress.md`; create any that is missing.',
    '- `activeContext.md`: the current focus, decisions with reasons, open questions. Update it when the focus changes and before you stop.',
    '- `progress.md`: what is done, with evidence, and what is left. Never write secret values here.',
    '',
    '## Hard rules',
    '',
    'A guard hook enforces this policy on every tool call. If it blocks something, do not work around it: stop,',
    'say what you needed and why, and let the operator decide.',
    '',
    '{{#if policy.protectedBranches}}',
    '- Never commit to, push to, reset or rewrite a protected branch: {{join policy.protectedBranches ", "}}.',
    '{{/if}}',
    '{{#if policy.network.allow}}',
    '- Network access is limited to: {{join policy.network.allow ", "}}.',
    '{{/if}}',
    "- Stay inside this worktree (and /tmp for scratch files). Do not edit agency's files in `.claude/`.",
    '- Never read, print, copy or summarise secrets. These paths are off limits (a leading `!` marks an exception you may read):',
    '',
    '{{bullet policy.secretPaths}}',
    '',
  ].join('\n');
}
