/**
 * OpenSSH known_hosts files (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"), read as OpenSSH reads them:
 * `[@marker] hostpatterns keytype base64-key [comment]` per line. A line OpenSSH would not use is
 * skipped with a warning naming the file and line; reading never throws.
 */
import { readFileSync } from 'node:fs';
import { canonicalKeyType, parseKeyBlob } from './known-hosts-key.js';
import { hashHostName, matchHostPatterns, parseHashedField, strictBase64 } from './known-hosts-match.js';

export { fingerprintSha256, keyTypeLabel } from './known-hosts-key.js';
export { hostPortName, matchHostPatterns, matchPattern } from './known-hosts-match.js';

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
  file: string;
  /** 1-based, counting every line of the file as OpenSSH does */
  line: number;
  marker: KnownHostMarker | null;
  /** the host field as written: a pattern list, or one hashed name */
  hosts: string;
  /** the salt when `hosts` is a hashed name */
  salt: Buffer | null;
  /** canonical key type, from the key data (e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`) */
  keyType: string;
  /** the public key blob */
  key: Buffer;
  comment: string;
}

export interface KnownHostsWarning {
  file: string;
  line: number;
  message: string;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  warnings: KnownHostsWarning[];
}

const MARKERS: Record<string, KnownHostMarker> = { '@revoked': 'revoked', '@cert-authority': 'cert-authority' };

/** Splits off the first run of non-blank characters (OpenSSH's blanks here are space and tab only). */
function word(s: string): [string, string] {
  const m = /^([^ \t]*)[ \t]*/.exec(s)!;
  return [m[1]!, s.slice(m[0].length)];
}

type LineResult = { entry: Omit<KnownHostEntry, 'file' | 'line'> } | { skip: true } | { error: string };

function parseLine(text: string): LineResult {
  let rest = text.replace(/^[ \t]+/, '');
  if (rest === '' || rest.startsWith('#')) return { skip: true };
  let marker: KnownHostMarker | null = null;
  while (rest.startsWith('@')) {
    const [m, after] = word(rest);
    if (marker) return { error: `more than one marker (${m}); only one of @revoked or @cert-authority is allowed` };
    const known = MARKERS[m];
    if (!known)
      return { error: `unknown marker ${JSON.stringify(m.slice(0, 40))} (expected @revoked or @cert-authority)` };
    if (after === '') return { error: `nothing follows the marker ${m}` };
    marker = known;
    rest = after;
  }
  const [hosts, afterHosts] = word(rest);
  if (afterHosts === '' || afterHosts.startsWith('#')) return { error: 'the line ends before the key type' };
  let salt: Buffer | null = null;
  if (hosts.startsWith('|')) {
    const h = parseHashedField(hosts);
    if ('error' in h) return { error: h.error };
    salt = h.salt;
  }
  const [typeName, afterType] = word(afterHosts);
  const declared = canonicalKeyType(typeName);
  if (!declared) {
    return /^\d+$/.test(typeName)
      ? { error: 'an SSH protocol 1 key (bits exponent modulus), which OpenSSH no longer reads' }
      : { error: `unsupported key type ${JSON.stringify(typeName.slice(0, 60))}` };
  }
  const [b64, comment] = word(afterType);
  if (b64 === '') return { error: `the ${typeName} key is missing` };
  const key = strictBase64(b64);
  if (!key) return { error: `the ${typeName} key is not valid base64 (truncated or damaged?)` };
  const parsed = parseKeyBlob(key);
  if ('error' in parsed) return { error: parsed.error };
  if (parsed.type !== declared) return { error: `the line says ${typeName} but the key data is ${parsed.type}` };
  return { entry: { marker, hosts, salt, keyType: parsed.type, key, comment: comment.trimEnd() } };
}

/** Parses the text of a known_hosts file. `file` is only used to label entries and warnings. */
export function parseKnownHosts(text: string, file: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const warnings: KnownHostsWarning[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const r = parseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if ('entry' in r) entries.push({ file, line: i + 1, ...r.entry });
    else if ('error' in r) warnings.push({ file, line: i + 1, message: `${file}:${i + 1}: ${r.error}; line ignored` });
  });
  return { entries, warnings };
}

/** Reads known_hosts files in order. A missing file is no entries; one that cannot be read is a warning. */
export function loadKnownHosts(files: readonly string[]): KnownHosts {
  const out: KnownHosts = { entries: [], warnings: [] };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        out.warnings.push({
          file,
          line: 0,
          message: `${file}: cannot be read (${code ?? String(e)}); its keys are not consulted`,
        });
      }
      continue;
    }
    const r = parseKnownHosts(text, file);
    out.entries.push(...r.entries);
    out.warnings.push(...r.warnings);
  }
  return out;
}

/**
 * Whether an entry's host field covers `name` (a host, or `[host]:port`). Hashed names are compared
 * with the name lowercased, as ssh lowercases the host name before it looks it up.
 */
export function entryMatchesHost(entry: Pick<KnownHostEntry, 'hosts' | 'salt'>, name: string): boolean {
  if (entry.salt) return hashHostName(name.toLowerCase(), entry.salt) === entry.hosts;
  return matchHostPatterns(name, entry.hosts);
}

/** The entries (any marker) whose host field covers `name`, in file and line order. */
export function entriesForHost(entries: readonly KnownHostEntry[], name: string): KnownHostEntry[] {
  return entries.filter((e) => entryMatchesHost(e, name));
}
