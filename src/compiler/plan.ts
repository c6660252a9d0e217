/**
 * From a registry, a discipline and a task, the files of a specialist environment, as bytes.
 * Pure and deterministic: the same registry and request give the same files.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { mcpJsonSchema, type Registry, type Discipline, type McpServer } from '../registry/index.js';
import type { GuardPolicy } from '../guard/policy.js';
import { AGENCY_MCP_SERVER } from '../protocol/agency-mcp.js';
import { agencyMcpEntry } from './agency-mcp.js';
import { mergePolicy } from './policy.js';
import { nodeSecretPaths } from './sandbox.js';
import { buildSettings, type HookPrograms, type SandboxOptions } from './settings.js';
import { renderCharter, type CharterContext } from './templates.js';
import { cleanText, fencedBlock, inlineCode, jsonFile, oneLine } from './text.js';

export interface CompileRequest {
  discipline: string;
  task: string;
}

/** The VP a session works for, and its organisation, as CLAUDE.md names them. */
export interface VpContext {
  org: string;
  name: string;
  mandate: string;
  persona: string;
}

export interface PlannedFile {
  /** relative to the worktree, with `/` separators */
  path: string;
  content: string;
  /** JSON files agency merges into a user's own copy rather than replacing */
  merge?: 'settings' | 'mcp';
}

export const MEMORY_BANK = '.context';
export const POLICY_FILE = '.claude/agency/policy.json';

export class UnknownDisciplineError extends Error {
  constructor(
    readonly discipline: string,
    readonly known: string[],
  ) {
    super(`unknown discipline ${JSON.stringify(discipline)}; known disciplines: ${known.join(', ')}`);
    this.name = 'UnknownDisciplineError';
  }
}

export function planCompile(
  reg: Registry,
  req: CompileRequest,
  root: string,
  programs: HookPrograms,
  sandbox?: SandboxOptions,
  vp?: VpContext,
): { files: PlannedFile[]; policy: GuardPolicy } {
  const located = reg.disciplines.get(req.discipline);
  if (!located) throw new UnknownDisciplineError(req.discipline, [...reg.disciplines.keys()].sort());
  const d = located.value;
  const task = cleanText(req.task).trim();
  if (task === '') throw new Error('the task is empty');

  const hookFiles = d.hooks.map((h) => reg.hooks.get(h)!);
  const policy = mergePolicy(root, hookFiles, d.permissions?.ask ?? [], sandbox, nodeSecretPaths(sandbox, root));
  const agents = d.agents.map((a) => reg.agents.get(a)!);
  const tools = d.tools.map((t) => ({ id: t, file: reg.tools.get(t)! }));

  const ctx: CharterContext = {
    discipline: { id: d.id, title: d.title, description: d.description },
    task,
    taskBlock: fencedBlock(task),
    agents: agents.map((a) => ({
      name: a.value.frontmatter.name,
      description: oneLine(a.value.frontmatter.description, 400),
    })),
    tools: tools.map((t) => ({ name: t.id, description: t.file.value.description })),
    policy: { protectedBranches: policy.protectedBranches, secretPaths: policy.secretPaths, network: policy.network },
    memoryBank: MEMORY_BANK,
  };
  const files: PlannedFile[] = [];
  const charter = renderCharter(reg.charters.get(d.charter)!.value.source, ctx);
  files.push({ path: 'CLAUDE.md', content: vp ? `${charter.replace(/\n*$/, '\n')}${vpSection(vp)}` : charter });
  for (const a of agents) {
    const fm = a.value.frontmatter;
    const front = {
      ...fm,
      ...(fm.tools ? { tools: fm.tools.join(', ') } : {}),
      ...(fm.disallowedTools ? { disallowedTools: fm.disallowedTools.join(', ') } : {}),
    };
    const body = a.value.body.replace(/\r\n?/g, '\n').replace(/^\n+/, '').replace(/\n*$/, '\n');
    files.push({
      path: `.claude/agents/${fm.name}.md`,
      content: `---\n${stringify(front, { lineWidth: 0 })}---\n\n${body}`,
    });
  }
  const policyPath = join(root, POLICY_FILE);
  const settings = buildSettings(d, hookFiles, programs, policyPath, policy, sandbox);
  files.push({ path: '.claude/settings.json', content: jsonFile(settings.shared), merge: 'settings' });
  files.push({ path: '.claude/settings.local.json', content: jsonFile(settings.local), merge: 'settings' });
  const servers: Record<string, McpServer> = {};
  for (const t of tools) servers[t.id] = t.file.value.server;
  const agency = agencyMcpEntry(programs);
  if (agency) servers[AGENCY_MCP_SERVER] = agency;
  files.push({ path: '.mcp.json', content: jsonFile(mcpJsonSchema.parse({ mcpServers: servers })), merge: 'mcp' });
  files.push({ path: POLICY_FILE, content: jsonFile(policy) });
  files.push(...memoryBank(d, task));
  return { files, policy };
}

/** Who the session works for: the VP's name, organisation and mandate on one line, then its persona. */
export function vpSection(vp: VpContext): string {
  const persona = cleanText(vp.persona)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return [
    ``,
    `## Who you work for`,
    ``,
    `You work for ${plain(vp.name, 60)} of ${plain(vp.org, 80)}: ${plain(vp.mandate, 200)}`,
    ``,
    fencedBlock(persona),
    ``,
  ].join('\n');
}

/** One line as it reads, or as a code span where an `@` in it could be taken for a CLAUDE.md import. */
function plain(text: string, max: number): string {
  const line = oneLine(text, max);
  return line.includes('@') ? inlineCode(line) : line;
}

function memoryBank(d: Discipline, task: string): PlannedFile[] {
  const title = inlineCode(oneLine(task, 80));
  return [
    {
      path: `${MEMORY_BANK}/productContext.md`,
      content: [
        `# Product context`,
        ``,
        `Why this work exists and what it must achieve. Written by agency from the request; refine it as you`,
        `learn, but keep the request itself as it was given.`,
        ``,
        `## The request`,
        ``,
        fencedBlock(task),
        ``,
        `## Discipline`,
        ``,
        `${d.title} (\`${d.id}\`): ${oneLine(d.description, 600)}`,
        ``,
        `## Goals`,
        ``,
        `- Deliver what the request asks, to the standard of the discipline's definition of done in CLAUDE.md.`,
        ``,
        `## Constraints and open questions`,
        ``,
        `- (none recorded yet)`,
        ``,
      ].join('\n'),
    },
    {
      path: `${MEMORY_BANK}/activeContext.md`,
      content: [
        `# Active context`,
        ``,
        `What is being worked on right now. Update it whenever the focus changes, so that a resumed session`,
        `or a colleague can pick the work up from here.`,
        ``,
        `## Current focus`,
        ``,
        `- Starting: ${title}`,
        ``,
        `## Recent decisions`,
        ``,
        `- (none yet)`,
        ``,
        `## Next steps`,
        ``,
        `- Read the request in productContext.md and plan the work.`,
        ``,
      ].join('\n'),
    },
    {
      path: `${MEMORY_BANK}/progress.md`,
      content: [
        `# Progress`,
        ``,
        `What is done, what is left, and what is known to be broken. Keep it true.`,
        ``,
        `## Done`,
        ``,
        `- (nothing yet)`,
        ``,
        `## Left to do`,
        ``,
        `- [ ] ${title}`,
        ``,
        `## Known issues`,
        ``,
        `- (none yet)`,
        ``,
      ].join('\n'),
    },
  ];
}
