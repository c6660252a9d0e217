/**
 * The host key check of an SSH connection, as OpenSSH does it with StrictHostKeyChecking=yes: the key
 * the server presents is looked up in known_hosts files and the connection is refused — before any
 * credential is sent — unless a matching host entry holds exactly that key.
 *
 * Per key type: a host entry with another key of the SAME type means the key changed (refused, with
 * the attack warning). Entries for the host of OTHER types only mean "no key of this type is known"
 * (refused as `unknown`, naming the types that are known). OpenSSH itself reports that second case as
 * a changed key too; the message here says plainly what differs instead, and `hostKeyAlgorithmsFor`
 * makes the client ask for a known type first (as OpenSSH's order_hostkeyalgs does), so the case only
 * arises when the server no longer offers the key type that is known.
 */
import { homedir } from 'node:os';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { entriesForHost, loadKnownHosts, type KnownHostEntry } from './known-hosts.js';
import { fingerprintSha256, hostKeyFile, keyscanType, keyTypeLabel, parseKeyBlob } from './known-hosts-key.js';
import { hostPortName } from './known-hosts-match.js';

export interface VerifyHostKeyOptions {
  /** the host name or address connected to (HostName) */
  host: string;
  port: number;
  /** the name the operator knows the host by (an ~/.ssh/config alias, a node name); for messages only */
  alias?: string;
  /** ssh_config HostKeyAlias: looked up instead of `host`/`[host]:port`, as OpenSSH does */
  hostKeyAlias?: string;
  /** known_hosts files to consult, in order; missing files are fine; the first is where to add keys */
  files: string[];
}

export type Verdict =
  | { ok: true; fingerprint: string; keyType: string; matchedFile: string; line: number; warnings: string[] }
  | {
      ok: false;
      reason: 'unknown' | 'changed' | 'revoked' | 'ca-only';
      fingerprint: string;
      keyType: string;
      message: string;
      warnings: string[];
    };

type Refusal = Extract<Verdict, { ok: false }>;

/** Quotes a word for a POSIX shell when it needs it; a leading `~/` stays outside the quotes. */
function sh(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  if (word.startsWith('~/') && /^[A-Za-z0-9_@%+=:,./-]*$/.test(word.slice(2))) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path as the operator would type it: `~/...` under the home directory. */
function display(path: string): string {
  const home = homedir();
  return home && path.startsWith(`${home}/`) ? `~/${path.slice(home.length + 1)}` : path;
}

function who(o: VerifyHostKeyOptions): string {
  const where = o.port === 22 ? o.host : `${o.host} port ${o.port}`;
  return o.alias && o.alias !== o.host ? `${o.alias} (${where})` : where;
}

/** The command that appends the host's key of this type to `file`, under the name ssh looks up. */
function keyscanCommand(o: VerifyHostKeyOptions, type: string, file: string): string {
  const port = o.port === 22 ? '' : `-p ${o.port} `;
  const scan = `ssh-keyscan ${port}-t ${keyscanType(type)} ${sh(o.host)}`;
  // keyscan names the key host or [host]:port; a HostKeyAlias has to replace that name
  const rename = o.hostKeyAlias ? ` | sed 's/^[^ ]*/${o.hostKeyAlias.replace(/[^A-Za-z0-9_.:[\]-]/g, '')}/'` : '';
  return `${scan}${rename} >> ${sh(display(file))}`;
}

function checkOutOfBand(type: string, fingerprint: string): string {
  return (
    `First make sure ${fingerprint} really is the host's key: on the host itself (its console, or a connection you ` +
    `already trust) run\n  ssh-keygen -l -f ${hostKeyFile(type)}\nand compare.`
  );
}

function place(e: KnownHostEntry): string {
  return `${display(e.file)}:${e.line}`;
}

function explainUnknown(
  o: VerifyHostKeyOptions,
  type: string,
  fp: string,
  others: KnownHostEntry[],
  target: string,
): string {
  const label = keyTypeLabel(type);
  const head =
    others.length === 0
      ? `The SSH host key of ${who(o)} is not known (no entry in ${o.files.map(display).join(', ') || 'any known_hosts file'}), so agency did not connect and sent no credentials.`
      : `No ${label} key is known for ${who(o)}, only ${[...new Set(others.map((e) => keyTypeLabel(e.keyType)))].join(', ')} ` +
        `(${others.map(place).join(', ')}): the server presented a key of a type it was not known by, so agency did not connect and sent no credentials. ` +
        `This happens when the host's keys or sshd configuration changed, but it is also what an attacker without the known key would do.`;
  return `${head}\nThe server presented this ${label} key: ${fp}\n${checkOutOfBand(type, fp)} Then add it with\n  ${keyscanCommand(o, type, target)}`;
}

function explainChanged(o: VerifyHostKeyOptions, type: string, fp: string, old: KnownHostEntry): string {
  const label = keyTypeLabel(type);
  const name = o.hostKeyAlias ?? hostPortName(o.host.toLowerCase(), o.port);
  const shared = old.salt === null && (old.hosts.includes(',') || /[*?!]/.test(old.hosts));
  return (
    `WARNING: the SSH host key of ${who(o)} has CHANGED. Someone may be intercepting the connection ` +
    `(a man-in-the-middle attack), or the host was reinstalled and has a new key. agency did not connect and sent no credentials.\n` +
    `Known ${label} key (${place(old)}): ${fingerprintSha256(old.key)}\n` +
    `The server presented:   ${fp}\n` +
    `${checkOutOfBand(type, fp)}` +
    (shared
      ? ` Then edit ${place(old)} by hand — its pattern ${JSON.stringify(old.hosts)} covers other hosts too, and ` +
        `ssh-keygen -R would delete the line for all of them — and add the new key with\n`
      : ` Then remove the old key and add the new one with\n  ssh-keygen -R ${sh(name)} -f ${sh(display(old.file))}\n`) +
    `  ${keyscanCommand(o, type, old.file)}`
  );
}

function explainRevoked(o: VerifyHostKeyOptions, type: string, fp: string, revoked: KnownHostEntry): string {
  return (
    `WARNING: the ${keyTypeLabel(type)} host key ${fp} presented by ${who(o)} is marked @revoked (${place(revoked)}). ` +
    `A revoked key may be a stolen key used to impersonate the host. agency did not connect and sent no credentials.\n` +
    `Do not trust this key again: give the host a new ${keyTypeLabel(type)} key, remove every line holding the old one, ` +
    `check the new fingerprint on the host (ssh-keygen -l -f ${hostKeyFile(type)}) and add it with\n` +
    `  ${keyscanCommand(o, type, o.files[0] ?? revoked.file)}`
  );
}

function explainCaOnly(
  o: VerifyHostKeyOptions,
  type: string,
  fp: string,
  cas: KnownHostEntry[],
  target: string,
): string {
  return (
    `${who(o)} is trusted only through a certificate authority (@cert-authority at ${cas.map(place).join(', ')}), ` +
    `but agency's SSH library (ssh2) cannot negotiate host certificates, so it cannot use the CA and did not connect ` +
    `(no credentials were sent). Add the host's own key to known_hosts.\n` +
    `The server presented this ${keyTypeLabel(type)} key: ${fp}\n${checkOutOfBand(type, fp)} Then add it with\n  ${keyscanCommand(o, type, target)}`
  );
}

/** Checks the key a server presented against the known_hosts files. Never throws. */
export function verifyHostKey(opts: VerifyHostKeyOptions & { key: Buffer }): Verdict {
  const { key } = opts;
  const fingerprint = fingerprintSha256(key);
  const parsed = parseKeyBlob(key);
  const keyType = 'type' in parsed ? parsed.type : 'unknown';
  const { entries, warnings: w } = loadKnownHosts(opts.files);
  const warnings = w.map((x) => x.message);
  const refuse = (reason: Refusal['reason'], message: string): Refusal => ({
    ok: false,
    reason,
    fingerprint,
    keyType,
    message,
    warnings,
  });
  const target = opts.files[0] ?? `${homedir()}/.ssh/known_hosts`;

  const host = opts.host.toLowerCase();
  const name = opts.hostKeyAlias?.toLowerCase() ?? hostPortName(host, opts.port);
  // OpenSSH: a host new under [host]:port is also accepted when its plain name holds exactly this key
  const portless = !opts.hostKeyAlias && opts.port !== 22 ? host : null;
  const forName = entriesForHost(entries, name);
  const forPortless = portless ? entriesForHost(entries, portless) : [];

  const revoked = [...forName, ...forPortless].find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return refuse('revoked', explainRevoked(opts, keyType, fingerprint, revoked));

  const plain = forName.filter((e) => e.marker === null);
  const same = plain.find((e) => e.key.equals(key));
  if (same) return { ok: true, fingerprint, keyType, matchedFile: same.file, line: same.line, warnings };
  const sameType = plain.find((e) => e.keyType === keyType);
  if (sameType) return refuse('changed', explainChanged(opts, keyType, fingerprint, sameType));
  if (plain.length > 0) return refuse('unknown', explainUnknown(opts, keyType, fingerprint, plain, target));

  const viaPortless = forPortless.find((e) => e.marker === null && e.key.equals(key));
  if (viaPortless)
    return { ok: true, fingerprint, keyType, matchedFile: viaPortless.file, line: viaPortless.line, warnings };

  const cas = [...forName, ...forPortless].filter((e) => e.marker === 'cert-authority');
  if (cas.length > 0) return refuse('ca-only', explainCaOnly(opts, keyType, fingerprint, cas, target));
  return refuse('unknown', explainUnknown(opts, keyType, fingerprint, [], target));
}

/**
 * A host verifier for ssh2's `hostVerifier` option. ssh2 calls it with the raw key blob during key
 * exchange, before NEWKEYS and so before any authentication; `verdict()` says afterwards why a
 * connection was refused (or which known_hosts line accepted it). Called again on every re-key.
 */
export function hostVerifierFor(opts: VerifyHostKeyOptions): {
  verify: (key: Buffer) => boolean;
  verdict(): Verdict | null;
} {
  let last: Verdict | null = null;
  return {
    verify: (key: Buffer) => {
      try {
        last = verifyHostKey({ ...opts, key });
      } catch (e) {
        // a bug, not a user error; refuse rather than let ssh2 swallow the exception
        const message = `agency could not check the host key of ${who(opts)}: ${(e as Error).stack ?? String(e)}`;
        last = {
          ok: false,
          reason: 'unknown',
          fingerprint: fingerprintSha256(key),
          keyType: 'unknown',
          message,
          warnings: [],
        };
      }
      return last.ok;
    },
    verdict: () => last,
  };
}

/** ssh2's default host key algorithms, in its order of preference. */
const SSH2_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

function algorithmsOf(keyType: string): ServerHostKeyAlgorithm[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return SSH2_HOST_KEY_ALGORITHMS.filter((a) => a === keyType);
}

/**
 * Host key algorithms for ssh2's `algorithms.serverHostKey`: those of the key types known for this
 * host first (in known_hosts order), then ssh2's defaults — so a host known by, say, its ECDSA key is
 * asked for that key rather than an ED25519 key nobody has recorded (OpenSSH's order_hostkeyalgs).
 */
export function hostKeyAlgorithmsFor(opts: Omit<VerifyHostKeyOptions, 'alias'>): ServerHostKeyAlgorithm[] {
  const { entries } = loadKnownHosts(opts.files);
  const host = opts.host.toLowerCase();
  const name = opts.hostKeyAlias?.toLowerCase() ?? hostPortName(host, opts.port);
  let known = entriesForHost(entries, name).filter((e) => e.marker === null);
  if (known.length === 0 && !opts.hostKeyAlias && opts.port !== 22)
    known = entriesForHost(entries, host).filter((e) => e.marker === null);
  const first = known.flatMap((e) => algorithmsOf(e.keyType));
  return [...new Set([...first, ...SSH2_HOST_KEY_ALGORITHMS])];
}
