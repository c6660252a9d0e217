/**
 * SSH public key blobs (RFC 4253 §6.6 wire format) as known_hosts lines and servers carry them: the
 * key types OpenSSH accepts there, a structural check of a blob, and the SHA256 fingerprint exactly as
 * `ssh-keygen -l` prints it.
 */
import { createHash } from 'node:crypto';

/** What a key type is called by people (`ssh-keygen -l`), by `ssh-keyscan -t`, and where hosts keep it. */
interface KeyTypeInfo {
  label: string;
  keyscan: string;
  hostKeyFile: string;
}

const ED25519: KeyTypeInfo = { label: 'ED25519', keyscan: 'ed25519', hostKeyFile: '/etc/ssh/ssh_host_ed25519_key.pub' };
const ECDSA: KeyTypeInfo = { label: 'ECDSA', keyscan: 'ecdsa', hostKeyFile: '/etc/ssh/ssh_host_ecdsa_key.pub' };

const KEY_TYPES: Record<string, KeyTypeInfo> = {
  'ssh-ed25519': ED25519,
  'ecdsa-sha2-nistp256': ECDSA,
  'ecdsa-sha2-nistp384': ECDSA,
  'ecdsa-sha2-nistp521': ECDSA,
  'ssh-rsa': { label: 'RSA', keyscan: 'rsa', hostKeyFile: '/etc/ssh/ssh_host_rsa_key.pub' },
  'ssh-dss': { label: 'DSA', keyscan: 'dsa', hostKeyFile: '/etc/ssh/ssh_host_dsa_key.pub' },
  'sk-ssh-ed25519@openssh.com': {
    label: 'ED25519-SK',
    keyscan: 'ed25519-sk',
    hostKeyFile: '/etc/ssh/ssh_host_ed25519_sk_key.pub',
  },
  'sk-ecdsa-sha2-nistp256@openssh.com': {
    label: 'ECDSA-SK',
    keyscan: 'ecdsa-sk',
    hostKeyFile: '/etc/ssh/ssh_host_ecdsa_sk_key.pub',
  },
};

/** Signature algorithm names OpenSSH also accepts as the type field of an RSA key line. */
const TYPE_ALIASES: Record<string, string> = { 'rsa-sha2-256': 'ssh-rsa', 'rsa-sha2-512': 'ssh-rsa' };

/** The canonical key type for a type field of a known_hosts line, or null when OpenSSH would not read it. */
export function canonicalKeyType(name: string): string | null {
  const t = TYPE_ALIASES[name] ?? name;
  return KEY_TYPES[t] ? t : null;
}

export function keyTypeLabel(type: string): string {
  return KEY_TYPES[type]?.label ?? type;
}

/** The `-t` argument of `ssh-keyscan` that fetches a key of this type. */
export function keyscanType(type: string): string {
  return KEY_TYPES[type]?.keyscan ?? type;
}

/** Where sshd keeps a host key of this type by default, to compare fingerprints on the host itself. */
export function hostKeyFile(type: string): string {
  return KEY_TYPES[type]?.hostKeyFile ?? '/etc/ssh/ssh_host_*_key.pub';
}

/** `SHA256:<base64 without padding>` of the blob, as `ssh-keygen -l -E sha256` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Reads SSH wire-format strings from a buffer; every read fails (null) rather than running past the end. */
class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  string(): Buffer | null {
    if (this.buf.length - this.pos < 4) return null;
    const len = this.buf.readUInt32BE(this.pos);
    if (len > this.buf.length - this.pos - 4) return null;
    const s = this.buf.subarray(this.pos + 4, this.pos + 4 + len);
    this.pos += 4 + len;
    return s;
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

const CURVES: Record<string, { name: string; pointLength: number }> = {
  'ecdsa-sha2-nistp256': { name: 'nistp256', pointLength: 65 },
  'ecdsa-sha2-nistp384': { name: 'nistp384', pointLength: 97 },
  'ecdsa-sha2-nistp521': { name: 'nistp521', pointLength: 133 },
  'sk-ecdsa-sha2-nistp256@openssh.com': { name: 'nistp256', pointLength: 65 },
};

/** A positive mpint (RFC 4251 §5) that is not empty. */
function positiveMpint(b: Buffer | null): boolean {
  return b !== null && b.length > 0 && (b[0]! & 0x80) === 0;
}

/**
 * The key type a public key blob declares, after checking the blob holds what that type needs and
 * nothing more; an error sentence when it does not.
 */
export function parseKeyBlob(blob: Buffer): { type: string } | { error: string } {
  const r = new Reader(blob);
  const typeBuf = r.string();
  if (!typeBuf) return { error: 'the key data is too short to hold a key type' };
  const type = typeBuf.toString('latin1');
  if (!KEY_TYPES[type])
    return { error: `the key data is of an unsupported type (${JSON.stringify(type.slice(0, 60))})` };
  let ok: boolean;
  const curve = CURVES[type];
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') {
    ok = r.string()?.length === 32;
  } else if (curve) {
    ok = r.string()?.toString('latin1') === curve.name;
    const point = ok ? r.string() : null;
    ok = ok && point !== null && point.length === curve.pointLength && point[0] === 0x04;
  } else if (type === 'ssh-rsa') {
    ok = positiveMpint(r.string()) && positiveMpint(r.string());
  } else {
    // ssh-dss: p, q, g, y
    ok = [r.string(), r.string(), r.string(), r.string()].every(positiveMpint);
  }
  if (ok && type.startsWith('sk-')) ok = r.string() !== null; // the FIDO application, e.g. "ssh:"
  if (!ok) return { error: `the ${keyTypeLabel(type)} key data is truncated or malformed` };
  if (!r.done) return { error: `the ${keyTypeLabel(type)} key data has ${blob.length} bytes, more than the key holds` };
  return { type };
}
