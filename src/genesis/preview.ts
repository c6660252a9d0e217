/**
 * What the operator sees before anything is written: the tree of files, and the org chart (VP → disciplines →
 * subagents, with their models and the VP's nodes). Text a model wrote is shown with unsafe characters escaped.
 */
import { escapeUnsafe } from '../protocol/safe-text.js';
import type { Plan } from './generate.js';
import type { Files } from './render.js';
import type { Changes } from './writer.js';

const s = (t: string) => escapeUnsafe(t, 'nothing');

/** a folder with more files than this shows its first three and its last */
const FOLDER_LINES = 12;

/** The files as a tree under `root` (DIR/orgs/<org>/). */
export function fileTree(root: string, files: Files): string {
  const lines = [`${s(root)}/`];
  const byFolder = new Map<string, string[]>();
  for (const path of [...files.keys()].sort()) {
    const slash = path.indexOf('/');
    const folder = slash < 0 ? '' : path.slice(0, slash);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), slash < 0 ? path : path.slice(slash + 1)]);
  }
  const entries = [...(byFolder.get('') ?? []).map((f) => ({ name: f, children: [] as string[] }))];
  for (const [folder, children] of byFolder) if (folder) entries.push({ name: `${folder}/`, children });
  entries.forEach((e, i) => {
    const last = i === entries.length - 1;
    lines.push(`${last ? '└── ' : '├── '}${s(e.name)}`);
    // a long folder shows its ends (the org chart names every file's subject)
    const shown =
      e.children.length > FOLDER_LINES
        ? [...e.children.slice(0, 3), `… ${e.children.length - 4} more …`, e.children.at(-1)!]
        : e.children;
    shown.forEach((c, j) => lines.push(`${last ? '    ' : '│   '}${j === shown.length - 1 ? '└── ' : '├── '}${s(c)}`));
  });
  return lines.join('\n');
}

/** VP → disciplines → subagents, with models. */
export function orgChart(plan: Plan): string {
  const lines = [`${s(plan.org.name)} (${plan.org.id})`];
  plan.vps.forEach((vp, i) => {
    const lastVp = i === plan.vps.length - 1;
    const nodes = vp.nodes.length > 0 ? ` on ${vp.nodes.join(', ')}` : '';
    lines.push(`${lastVp ? '└─ ' : '├─ '}VP ${s(vp.name)} (${vp.id})${nodes}: ${s(vp.mandate)}`);
    const a = lastVp ? '   ' : '│  ';
    if (vp.others.length > 0) lines.push(`${a}├─ also: ${vp.others.join(', ')} (not generated)`);
    vp.disciplines.forEach((d, j) => {
      const lastD = j === vp.disciplines.length - 1;
      const tools = d.tools.length > 0 ? `, tools ${d.tools.join(', ')}` : '';
      const check = d.check ? `, check: ${s(d.check)}` : '';
      lines.push(
        `${a}${lastD ? '└─ ' : '├─ '}${s(d.title)} (${d.id}) · ${d.model}, guard ${d.hooks.join(', ')}${tools}${check}`,
      );
      const b = `${a}${lastD ? '   ' : '│  '}`;
      d.agents.forEach((ag, k) =>
        lines.push(`${b}${k === d.agents.length - 1 ? '└─ ' : '├─ '}${ag.name} · ${ag.model} · ${ag.tools.join(', ')}`),
      );
    });
  });
  return lines.join('\n');
}

/** What a write over an organisation already there does: the files replaced, removed, kept. */
export function changeList(c: Changes): string {
  const lines: string[] = [];
  const group = (title: string, paths: string[]) => {
    if (paths.length === 0) return;
    lines.push(`${title} (${paths.length}):`);
    for (const p of paths) lines.push(`  ${s(p)}`);
  };
  group('New', c.added);
  group('Replaced', c.replaced);
  group('Removed (genesis wrote them, and no longer generates them)', c.removed);
  group('Kept (genesis did not write them)', c.kept);
  group('Kept (edited by hand since genesis wrote them; delete one to have it generated again)', c.edited);
  if (c.unchanged.length > 0) lines.push(`Unchanged: ${c.unchanged.length} file(s)`);
  return lines.join('\n');
}
