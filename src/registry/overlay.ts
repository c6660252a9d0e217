/**
 * A registry folder, or an organisation's overlay laid over a base registry. A folder that holds org.yaml is
 * an overlay: its own disciplines, charters, agents, tools and hooks (every folder optional) are added to
 * the base's, and its VPs are checked against the result. An overlay file with the id of a base file is
 * refused unless org.yaml says `replace: true`; then the overlay's wins. A hook file (a guard policy) of the
 * base is never replaced: every discipline of the base relies on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { crossCheck, FOLDERS, readRegistryFiles, type Folder, type Located, type Registry } from './load.js';
import { ORG_FILE, orgSchema, type Org } from './org.js';
import { type Problem, RegistryError } from './problems.js';
import { isProblem, parseYaml } from './source.js';

/** Whether the folder is an organisation's overlay (it holds org.yaml). */
export function isOrgDir(dir: string): boolean {
  return existsSync(join(dir, ORG_FILE));
}

const KIND: Record<Folder, string> = {
  disciplines: 'a discipline',
  charters: 'a charter',
  agents: 'an agent',
  tools: 'a tool',
  hooks: 'a hook file',
};

/**
 * The registry at dir, checked: a plain registry as checkRegistry reads it, or an overlay over base. Never
 * throws for bad content. Problems in the overlay name files relative to it; those of the base, absolute paths.
 */
export function checkRegistryAt(dir: string, base: string): { registry: Registry; problems: Problem[] } {
  if (!isOrgDir(dir)) {
    const { registry, problems } = readRegistryFiles(dir, false);
    crossCheck(registry, problems);
    return { registry, problems: sorted(problems) };
  }
  const baseRoot = resolve(base);
  const under = readRegistryFiles(baseRoot, false);
  const over = readRegistryFiles(dir, true);
  const problems = [...under.problems.map((p) => ({ ...p, file: join(baseRoot, p.file) })), ...over.problems];
  const org = readOrg(dir, problems);
  const registry: Registry = { ...over.registry, invalid: new Set([...under.registry.invalid, ...over.registry.invalid]), org };
  for (const folder of Object.keys(FOLDERS) as Folder[]) {
    const merged = new Map<string, Located<never>>();
    for (const [id, loc] of under.registry[folder] as Map<string, Located<never>>)
      merged.set(id, { ...loc, file: join(baseRoot, loc.file) });
    for (const [id, loc] of over.registry[folder] as Map<string, Located<never>>) {
      if (folder === 'hooks' && merged.has(id)) {
        problems.push({
          file: loc.file,
          line: 1,
          message: `the base registry has a hook file ${JSON.stringify(id)} too: guard policies of the base registry cannot be replaced by an organisation; give the file another id and list it in the disciplines that should use it`,
        });
        continue;
      }
      if (merged.has(id) && !org?.value.replace) {
        problems.push({
          file: loc.file,
          line: 1,
          message: `the base registry has ${KIND[folder]} ${JSON.stringify(id)} too: rename this one, or set replace: true in ${ORG_FILE} to replace it`,
        });
        continue;
      }
      merged.set(id, loc);
    }
    (registry as unknown as Record<Folder, Map<string, unknown>>)[folder] = merged;
  }
  crossCheck(registry, problems);
  if (org) checkVps(org, registry, problems);
  return { registry, problems: sorted(problems) };
}

/** The registry at dir (plain, or an overlay over base); throws RegistryError listing every problem. */
export function loadRegistryAt(dir: string, base: string): Registry {
  const { registry, problems } = checkRegistryAt(dir, base);
  if (problems.length > 0) throw new RegistryError(problems);
  return registry;
}

/** An overlay file that widens what a session may do outside the sandbox: hook commands, rules allowed unasked. */
export interface OverlayPrivilege {
  /** the file, relative to the overlay */
  file: string;
  /** the events the file's hook commands run on (outside the sandbox, as the operator's user) */
  hooks: string[];
  /** permission rules allowed without asking the operator */
  allow: string[];
}

/** The overlay's own hook files and disciplines that add hook commands or allowed rules (the base's are not listed). */
export function overlayPrivileges(reg: Registry): OverlayPrivilege[] {
  const out: OverlayPrivilege[] = [];
  if (!reg.org) return out;
  for (const h of reg.hooks.values()) {
    if (isAbsolute(h.file)) continue;
    const hooks = Object.keys(h.value.hooks ?? {}).sort();
    const allow = [...(h.value.approvals?.allow ?? [])];
    if (hooks.length || allow.length) out.push({ file: h.file, hooks, allow });
  }
  for (const d of reg.disciplines.values()) {
    if (isAbsolute(d.file)) continue;
    const allow = [...(d.value.permissions?.allow ?? [])];
    if (allow.length) out.push({ file: d.file, hooks: [], allow });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function readOrg(dir: string, problems: Problem[]): Located<Org> | null {
  let text: string;
  try {
    text = readFileSync(join(dir, ORG_FILE), 'utf8');
  } catch (e) {
    problems.push({ file: ORG_FILE, line: 0, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return null;
  }
  const parsed = parseYaml(ORG_FILE, text);
  if (isProblem(parsed)) {
    problems.push(parsed);
    return null;
  }
  const r = orgSchema.safeParse(parsed.data);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const path = issue.path as PropertyKey[];
      const where = path.length > 0 ? `${path.map(String).join('.')}: ` : '';
      const message = issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
      problems.push({ file: ORG_FILE, line: parsed.lineOf(path), message: `${where}${message}` });
    }
    return null;
  }
  return { id: r.data.id, file: ORG_FILE, value: r.data, lineOf: parsed.lineOf };
}

/** VP ids are unique; each VP's disciplines exist; no discipline has two VPs. */
function checkVps(org: Located<Org>, reg: Registry, problems: Problem[]): void {
  const vpIds = new Set<string>();
  const owner = new Map<string, string>();
  org.value.vps.forEach((vp, i) => {
    if (vpIds.has(vp.id)) problems.push({ file: org.file, line: org.lineOf(['vps', i, 'id']), message: `VP ${JSON.stringify(vp.id)} is listed twice` });
    vpIds.add(vp.id);
    vp.disciplines.forEach((d, j) => {
      const line = org.lineOf(['vps', i, 'disciplines', j]);
      if (!reg.disciplines.has(d) && !reg.invalid.has(`disciplines/${d}`))
        problems.push({ file: org.file, line, message: `VP ${vp.id}: unknown discipline ${JSON.stringify(d)} (no disciplines/${d}.yaml in the overlay or the base registry)` });
      const first = owner.get(d);
      if (first !== undefined) problems.push({ file: org.file, line, message: `discipline ${JSON.stringify(d)} belongs to VP ${first} and to VP ${vp.id}: give it one VP` });
      else owner.set(d, vp.id);
    });
  });
}

function sorted(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}
