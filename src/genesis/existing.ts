/**
 * An organisation already at DIR/orgs/<org>/: reused by a re-run only when its org.yaml was generated from the
 * same sentence; a folder with another organisation in it, or with no org.yaml at all, is never taken over.
 * Which of its files genesis wrote is in its manifest (.genesis.json: each file's path and the hash of what was
 * written); every other file is the operator's, kept as it is, and its ids are taken.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ORG_FILE, type Org, orgSchema } from '../registry/index.js';
import { schemaProblems } from './checks.js';
import { GenesisError } from './errors.js';

export const MANIFEST = '.genesis.json';

export interface ExistingOrg {
  dir: string;
  org: Org;
  /** path → hash of what genesis wrote; null for a folder without a manifest */
  generated: Map<string, string> | null;
  /** ids of files in the folder that genesis did not write */
  handDisciplines: Set<string>;
  handAgents: Set<string>;
}

export const hashOf = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

/** Every file under dir, relative, the manifest left out. */
export function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true })
    .flatMap((e) => {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) return filesUnder(dir, path);
      return path === MANIFEST ? [] : [path];
    })
    .sort();
}

export function readManifest(dir: string): Map<string, string> | null {
  try {
    const doc = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files?: Record<string, unknown> };
    const files = Object.entries(doc.files ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
    return new Map(files);
  } catch {
    return null;
  }
}

export function manifestText(files: Map<string, string>): string {
  return `${JSON.stringify({ note: 'the files agency genesis wrote, with hashes; others are kept as they are', files: Object.fromEntries([...files].sort()) }, null, 2)}\n`;
}

/** The organisation at dir for this description, or null when there is none; refuses anything else. */
export function existingOrg(dir: string, description: string): ExistingOrg | null {
  if (!existsSync(dir)) return null;
  const again = 'pass another --out, move it away, or give this organisation another id with --org-id';
  if (!statSync(dir).isDirectory()) throw new GenesisError(`${dir} is not a folder: ${again}`);
  const file = join(dir, ORG_FILE);
  if (!existsSync(file))
    throw new GenesisError(
      `${dir} exists but holds no ${ORG_FILE}, so it is no organisation genesis wrote, and genesis does not replace it: ${again}`,
    );
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GenesisError(
      `${file}: not valid YAML (${(e as Error).message.split('\n')[0]}): fix it, or move it away to start afresh`,
    );
  }
  const r = schemaProblems(orgSchema, data);
  if (r.value === null)
    throw new GenesisError(
      `${file} has problems; fix them, or move it away to start afresh:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  if (r.value.description.replace(/\r\n?/g, '\n').trim() !== description)
    throw new GenesisError(
      `the organisation id ${r.value.id} exists in ${dir} for another organisation (${JSON.stringify(r.value.description.slice(0, 120))}), and genesis does not take it over: ${again}`,
    );
  const generated = readManifest(dir);
  const hand = filesUnder(dir).filter((p) => p !== ORG_FILE && !generated?.has(p));
  const ids = (re: RegExp) => new Set(hand.flatMap((p) => re.exec(p)?.[1] ?? []));
  return {
    dir,
    org: r.value,
    generated,
    handDisciplines: generated
      ? new Set([...ids(/^disciplines\/(.+)\.yaml$/), ...ids(/^charters\/(.+)\.md\.hbs$/)])
      : new Set(),
    handAgents: generated ? ids(/^agents\/(.+)\.md$/) : new Set(),
  };
}
