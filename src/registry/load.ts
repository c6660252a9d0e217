/** Loads a registry folder, validating every file and every reference between files. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { AGENCY_MCP_SERVER } from '../protocol/agency-mcp.js';
import { isValidId, idProblem } from './ids.js';
import type { Org } from './org.js';
import { type Problem, RegistryError } from './problems.js';
import { isProblem, parseJson, parseYaml, splitFrontmatter, type ParsedSource } from './source.js';
import {
  agentFrontmatterSchema, disciplineSchema, hookFileSchema, toolFileSchema,
  type AgentFrontmatter, type Discipline, type HookFile, type ToolFile,
} from './schemas.js';

export interface Located<T> { id: string; file: string; value: T; lineOf(path: readonly PropertyKey[]): number }
export interface Agent { frontmatter: AgentFrontmatter; body: string }
export interface Charter { source: string; path: string }

export interface Registry {
  root: string;
  /** ids whose files exist but are invalid, by folder: references to them are not reported again */
  invalid: Set<string>;
  disciplines: Map<string, Located<Discipline>>;
  charters: Map<string, Located<Charter>>;
  agents: Map<string, Located<Agent>>;
  tools: Map<string, Located<ToolFile>>;
  hooks: Map<string, Located<HookFile>>;
  /** the organisation, when the folder is an overlay (it holds org.yaml) laid over a base registry (overlay.ts) */
  org: Located<Org> | null;
}

export const FOLDERS = {
  disciplines: '.yaml',
  charters: '.md.hbs',
  agents: '.md',
  tools: '.json',
  hooks: '.json',
} as const;
export type Folder = keyof typeof FOLDERS;

/** Loads and validates; never throws for bad content, returns every problem instead. */
export function checkRegistry(dir: string): { registry: Registry; problems: Problem[] } {
  const { registry, problems } = readRegistryFiles(dir, false);
  crossCheck(registry, problems);
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return { registry, problems };
}

/**
 * Every file of a registry folder, each validated on its own, references between them not yet checked
 * (crossCheck). In an overlay every folder may be missing.
 */
export function readRegistryFiles(dir: string, overlay: boolean): { registry: Registry; problems: Problem[] } {
  const root = resolve(dir);
  const problems: Problem[] = [];
  const registry: Registry = {
    root, invalid: new Set(), disciplines: new Map(), charters: new Map(), agents: new Map(), tools: new Map(), hooks: new Map(), org: null,
  };
  const rel = (p: string) => relative(root, p) || p;

  let rootStat;
  try {
    rootStat = statSync(root);
  } catch {
    problems.push({ file: root, line: 0, message: 'registry folder does not exist' });
    return { registry, problems };
  }
  if (!rootStat.isDirectory()) {
    problems.push({ file: root, line: 0, message: 'registry is not a folder' });
    return { registry, problems };
  }

  for (const folder of Object.keys(FOLDERS) as Folder[]) {
    for (const { id, path } of listFolder(root, folder, problems, rel, overlay)) {
      const file = rel(path);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        problems.push({ file, line: 0, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        continue;
      }
      const before = problems.length;
      loadOne(registry, folder, id, file, path, text, problems);
      if (problems.length > before) registry.invalid.add(`${folder}/${id}`);
    }
  }
  return { registry, problems };
}

/** Loads a registry that must be valid; throws RegistryError listing every problem otherwise. */
export function loadRegistry(dir: string): Registry {
  const { registry, problems } = checkRegistry(dir);
  if (problems.length > 0) throw new RegistryError(problems);
  return registry;
}

function listFolder(root: string, folder: Folder, problems: Problem[], rel: (p: string) => string, optional: boolean) {
  const dir = join(root, folder);
  const ext = FOLDERS[folder];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file: rel(dir), line: 0, message: `cannot read folder: ${(e as Error).message}` });
    else if (folder !== 'tools' && !optional) problems.push({ file: rel(dir), line: 0, message: `missing folder ${folder}/` });
    return [];
  }
  const out: { id: string; path: string }[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (!name.endsWith(ext) || (folder === 'agents' && name.endsWith('.md.hbs'))) {
      problems.push({ file: rel(path), line: 0, message: `not a registry file: ${folder}/ holds <id>${ext} files` });
      continue;
    }
    const id = name.slice(0, -ext.length);
    if (!isValidId(id)) {
      problems.push({ file: rel(path), line: 0, message: `file name: ${idProblem(folder.replace(/s$/, ''), id)}` });
      continue;
    }
    out.push({ id, path });
  }
  return out;
}

function loadOne(reg: Registry, folder: Folder, id: string, file: string, path: string, text: string, problems: Problem[]) {
  switch (folder) {
    case 'disciplines': {
      const v = validate(parseYaml(file, text), disciplineSchema, problems);
      if (!v) return;
      if (v.value.id !== id) problems.push({ file, line: v.lineOf(['id']), message: `id ${JSON.stringify(v.value.id)} does not match the file name (${id})` });
      else reg.disciplines.set(id, { id, file, ...v });
      return;
    }
    case 'charters':
      if (text.trim() === '') problems.push({ file, line: 0, message: 'charter is empty' });
      else reg.charters.set(id, { id, file, value: { source: text, path }, lineOf: () => 1 });
      return;
    case 'agents': {
      const fm = splitFrontmatter(text);
      if (!fm) {
        problems.push({ file, line: 1, message: 'agent file must start with YAML frontmatter between --- lines' });
        return;
      }
      const v = validate(parseYaml(file, fm.yaml, 1), agentFrontmatterSchema, problems);
      if (!v) return;
      if (fm.body.trim() === '') problems.push({ file, line: fm.bodyLine, message: 'agent has no system prompt (the body after the frontmatter is empty)' });
      else if (v.value.name !== id) problems.push({ file, line: v.lineOf(['name']), message: `name ${JSON.stringify(v.value.name)} does not match the file name (${id})` });
      else reg.agents.set(id, { id, file, value: { frontmatter: v.value, body: fm.body }, lineOf: v.lineOf });
      return;
    }
    case 'tools': {
      if (id === AGENCY_MCP_SERVER) {
        problems.push({ file, line: 0, message: `the name ${JSON.stringify(id)} is taken by agency's own MCP server (a session's workers): rename this file, and the tools: entries that name it` });
        return;
      }
      const v = validate(parseJson(file, text), toolFileSchema, problems);
      if (v) reg.tools.set(id, { id, file, ...v });
      return;
    }
    case 'hooks': {
      const v = validate(parseJson(file, text), hookFileSchema, problems);
      if (v) reg.hooks.set(id, { id, file, ...v });
      return;
    }
  }
}

function validate<S extends z.ZodType>(parsed: ParsedSource | Problem, schema: S, problems: Problem[]) {
  if (isProblem(parsed)) {
    problems.push(parsed);
    return null;
  }
  const result = schema.safeParse(parsed.data);
  if (result.success) return { value: result.data as z.output<S>, lineOf: parsed.lineOf };
  for (const issue of result.error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.push({ file: parsed.file, line: parsed.lineOf([...path, key]), message: `${fieldName([...path, key])}: unknown key (Claude Code or agency would ignore it)` });
      continue;
    }
    const where = path.length > 0 ? `${fieldName(path)}: ` : '';
    problems.push({ file: parsed.file, line: parsed.lineOf(path), message: `${where}${issueMessage(issue, parsed.data, path)}` });
  }
  return null;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('');
}

function issueMessage(issue: z.core.$ZodIssue, data: unknown, path: readonly PropertyKey[]): string {
  if (issue.code === 'invalid_type' && valueAt(data, path) === undefined) return 'required';
  return issue.message;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

export function crossCheck(reg: Registry, problems: Problem[]): void {
  const agentOwner = new Map<string, string>();
  for (const d of reg.disciplines.values()) {
    const ref = (kind: string, key: 'agents' | 'tools' | 'hooks', map: Map<string, unknown>) =>
      d.value[key].forEach((ref, i) => {
        if (!map.has(ref) && !reg.invalid.has(`${key}/${ref}`)) problems.push({ file: d.file, line: d.lineOf([key, i]), message: `unknown ${kind} ${JSON.stringify(ref)} (no ${key}/${ref}${FOLDERS[key]} in the registry)` });
      });
    if (!reg.charters.has(d.value.charter) && !reg.invalid.has(`charters/${d.value.charter}`))
      problems.push({ file: d.file, line: d.lineOf(['charter']), message: `missing charter ${JSON.stringify(d.value.charter)} (no charters/${d.value.charter}.md.hbs in the registry)` });
    ref('agent', 'agents', reg.agents);
    ref('tool', 'tools', reg.tools);
    ref('hook file', 'hooks', reg.hooks);
    for (const a of d.value.agents) if (!agentOwner.has(a)) agentOwner.set(a, d.id);
  }
  // A subagent may call MCP tools only of servers the registry defines, and agency's own (in a node's session).
  for (const a of reg.agents.values()) {
    const tools = [...(a.value.frontmatter.tools ?? []), ...(a.value.frontmatter.disallowedTools ?? [])];
    tools.forEach((t) => {
      const m = /^mcp__([A-Za-z0-9_-]+?)(?:__|$)/.exec(t);
      if (m && m[1] !== AGENCY_MCP_SERVER && !reg.tools.has(m[1] as string))
        problems.push({ file: a.file, line: a.lineOf(['tools']), message: `tool ${JSON.stringify(t)} refers to MCP server ${JSON.stringify(m[1])}, which no tools/ file defines` });
    });
  }
}
