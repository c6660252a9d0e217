/**
 * Host name matching as OpenSSH does it (match.c, hostfile.c): `*`/`?` globs, comma-separated pattern
 * lists with `!` negation, `[host]:port` names for ports other than 22, and hashed names
 * `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
 */
import { createHmac } from 'node:crypto';

/**
 * Whether `s` matches the glob `pattern` (`*` any run of characters, `?` exactly one, all else literal,
 * no escapes) — OpenSSH's match_pattern. Greedy with one backtrack point: linear, whatever the input.
 */
export function matchPattern(s: string, pattern: string): boolean {
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const p = pattern[pi];
    if (p === '*') {
      starP = pi++;
      starS = si;
    } else if (p !== undefined && (p === '?' || p === s[si])) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/**
 * OpenSSH's match_pattern_list: 1 when `s` matches a positive pattern of the comma-separated list and
 * no negated one, -1 when it matches a negated one (`!pattern`), 0 otherwise. With `lower`, the
 * patterns are lowercased first (OpenSSH does this for host names).
 */
export function matchPatternList(s: string, list: string, lower: boolean): 1 | 0 | -1 {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    let pattern = negated ? raw.slice(1) : raw;
    if (lower) pattern = pattern.toLowerCase();
    if (matchPattern(s, pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** Whether a host name matches a known_hosts pattern list (case-insensitive; a negated match is no match). */
export function matchHostPatterns(name: string, list: string): boolean {
  return matchPatternList(name.toLowerCase(), list, true) === 1;
}

/** The name a host has in known_hosts: `host` on port 22, `[host]:port` otherwise (OpenSSH's put_host_port). */
export function hostPortName(host: string, port: number): string {
  return port === 22 || port === 0 ? host : `[${host}]:${port}`;
}

/** The hashed form of a name with a given salt, as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes standard base64 strictly: null for anything OpenSSH's decoder would refuse. */
export function strictBase64(s: string): Buffer | null {
  if (!B64.test(s) || s.length % 4 === 1) return null;
  const buf = Buffer.from(s, 'base64');
  // Buffer.from ignores stray bits of a final partial group; OpenSSH's b64_pton refuses them
  return buf.toString('base64').replace(/=+$/, '') === s.replace(/=+$/, '') ? buf : null;
}

/** The salt of a hashed host field, or an error sentence when the field is not a well-formed hash. */
export function parseHashedField(field: string): { salt: Buffer } | { error: string } {
  const m = /^\|1\|([^|]*)\|([^|]*)$/.exec(field);
  if (!m) return { error: 'a hashed host name must look like |1|salt|hash' };
  const salt = strictBase64(m[1]!);
  const hash = strictBase64(m[2]!);
  if (!salt || salt.length !== 20) return { error: 'the salt of the hashed host name is not 20 bytes of base64' };
  if (!hash || hash.length !== 20) return { error: 'the hash of the hashed host name is not 20 bytes of base64' };
  return { salt };
}
