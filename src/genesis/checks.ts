/**
 * Genesis's own checks of a model's answer, after the backend's: the schema again, then what a JSON Schema
 * cannot say (ids unique across the organisation, no clash with the base registry, no secret, no character a
 * terminal would obey). Each problem is one line, fit to be sent back to the model and shown to the operator;
 * none quotes a secret.
 */
import type { z } from 'zod';
import { hasUnsafe, type Kept } from '../protocol/safe-text.js';

/** Patterns of credentials an answer must never carry, each with what it is. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/sk-ant-[A-Za-z0-9_-]{8,}/, 'an Anthropic API key'],
  [/\bsk-[A-Za-z0-9]{32,}/, 'an API key'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/, 'a GitHub token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, 'a private key'],
];
/** environment variables whose values are secrets */
const SECRET_VAR = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH/i;

/** The values of this environment's secret variables (at least 8 characters, so that "1" or "true" is no secret). */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => SECRET_VAR.test(k) && typeof v === 'string' && v.trim().length >= 8)
    .map(([, v]) => v!.trim());
}

/** What kind of secret `s` looks like, or null. */
export function secretIn(s: string, secrets: readonly string[]): string | null {
  for (const [re, what] of SECRET_PATTERNS) if (re.test(s)) return what;
  if (secrets.some((v) => s.includes(v))) return 'the value of a secret environment variable';
  return null;
}

/** `disciplines[0].charter` */
export function pathName(path: readonly PropertyKey[]): string {
  return (
    path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('') || '(answer)'
  );
}

/** Every string of a JSON value with its path. */
function* strings(v: unknown, path: PropertyKey[] = []): Generator<[string, PropertyKey[]]> {
  if (typeof v === 'string') yield [v, path];
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* strings(v[i], [...path, i]);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* strings(x, [...path, k]);
}

/**
 * `@path`: Claude Code reads an `@` followed by a path in CLAUDE.md as an import of that file (absolute, `~` and
 * relative paths alike). Model text ends up in CLAUDE.md, so an `@` that does not follow a letter or digit (as in
 * an e-mail address) and is followed by something path-like is refused.
 */
const IMPORT_REF = /(?<![A-Za-z0-9])@[A-Za-z0-9._~/\\-]/;

/** Whether text holds what Claude Code would read as a file import. */
export function importIn(s: string): boolean {
  return IMPORT_REF.test(s);
}

/** Text with every secret this check knows of replaced by [redacted]: an answer sent back never carries one. */
export function redactSecrets(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const v of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(v).join('[redacted]');
  for (const [re] of SECRET_PATTERNS) out = out.replace(new RegExp(re.source, 'g'), '[redacted]');
  return out;
}

/** Fields where line breaks are layout (a persona, a charter, a prompt); everything else is one line. */
const MULTILINE = new Set(['persona', 'charter', 'prompt']);

/** Secrets and unsafe characters anywhere in an answer. */
export function contentProblems(answer: unknown, secrets: readonly string[]): string[] {
  const out: string[] = [];
  for (const [s, path] of strings(answer)) {
    const secret = secretIn(s, secrets);
    if (secret) out.push(`${pathName(path)}: holds what looks like ${secret}; an answer never carries credentials`);
    if (importIn(s))
      out.push(
        `${pathName(path)}: "@" followed by a path would make Claude Code import that file; write "at" or leave the @ out`,
      );
    const key = path.filter((k) => typeof k === 'string').at(-1);
    const kept: Kept = typeof key === 'string' && MULTILINE.has(key) ? 'newlines' : 'nothing';
    if (hasUnsafe(s.replace(/\r\n/g, '\n'), kept))
      out.push(
        `${pathName(path)}: control characters${kept === 'nothing' ? ' or line breaks' : ''} are not allowed here`,
      );
  }
  return out;
}

/** The schema's problems with an answer, one line each; the parsed value when there are none. */
export function schemaProblems<S extends z.ZodType>(
  schema: S,
  answer: unknown,
): { value: z.output<S>; problems: [] } | { value: null; problems: string[] } {
  const r = schema.safeParse(answer);
  if (r.success) return { value: r.data, problems: [] };
  return {
    value: null,
    problems: r.error.issues.map((issue) => {
      const path = issue.path as PropertyKey[];
      if (issue.code === 'unrecognized_keys')
        return `${pathName(path)}: unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      return `${pathName(path)}: ${issue.message}`;
    }),
  };
}

/** Ids listed twice within one answer. */
export function duplicateProblems(kind: string, ids: readonly string[], where: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  ids.forEach((id, i) => {
    if (seen.has(id)) out.push(`${where}[${i}]: ${kind} ${JSON.stringify(id)} is listed twice; ids must be unique`);
    seen.add(id);
  });
  return out;
}

/** Ids that are taken: by the base registry (unless replacing), or by another part of the organisation. */
export function clashProblems(
  kind: string,
  ids: readonly string[],
  where: string,
  taken: ReadonlyMap<string, string>,
): string[] {
  const out: string[] = [];
  ids.forEach((id, i) => {
    const owner = taken.get(id);
    if (owner) out.push(`${where}[${i}]: ${kind} id ${JSON.stringify(id)} is taken by ${owner}; choose another id`);
  });
  return out;
}
