/**
 * One spelling per host, so that host rules cannot be walked around: IPv4 in dotted decimal whatever
 * form it was written in (hex, decimal, octal, short forms such as 169.254.43518), IPv4-mapped and
 * NAT64 IPv6 as the IPv4 they carry, other IPv6 compressed, names lower case without a trailing dot.
 */

/** inet_aton's reading of a host as IPv4 (what curl, ping and the C library accept), or null. */
export function parseIPv4(host: string): number[] | null {
  const parts = host.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p);
    else return null;
    if (!Number.isFinite(n)) return null;
    nums.push(n);
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255)) return null;
  const room = 4 - nums.length;
  if (last >= 256 ** room) return null;
  const bytes = [...nums];
  for (let i = room - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes;
}

/** The eight 16-bit groups of an IPv6 address, or null. */
export function parseIPv6(host: string): number[] | null {
  let h = host;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (v4) {
    const b = parseIPv4(v4[1] as string);
    if (!b || (v4[1] as string).split('.').length !== 4) return null;
    h = `${h.slice(0, -(v4[1] as string).length)}${((b[0] as number) * 256 + (b[1] as number)).toString(16)}:${((b[2] as number) * 256 + (b[3] as number)).toString(16)}`;
  }
  const halves = h.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

export function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  h = h.replace(/%.*$/, '').replace(/\.$/, '');
  if (h.includes(':')) {
    const g = parseIPv6(h);
    if (!g) return h;
    const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
    const v4 = (a: number, b: number) => [a >> 8, a & 255, b >> 8, b & 255].join('.');
    // ::ffff:a.b.c.d (mapped), 64:ff9b::a.b.c.d (NAT64), ::a.b.c.d (compatible, not :: or ::1)
    if (zero(0, 5) && g[5] === 0xffff) return v4(g[6] as number, g[7] as number);
    if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4(g[6] as number, g[7] as number);
    if (zero(0, 6) && (g[6] as number) !== 0) return v4(g[6] as number, g[7] as number);
    return compress(g);
  }
  const b = parseIPv4(h);
  return b ? b.join('.') : h;
}

function compress(g: number[]): string {
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i > 1) [best, len] = [i, j - i];
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + len).join(':')}`;
}

/** Cloud metadata services and link-local addresses: never reachable from a session, whatever the policy. */
export function isMetadata(h: string): boolean {
  if (/^169\.254\.\d+\.\d+$/.test(h) || h === '100.100.100.200') return true;
  if (h === 'fd00:ec2::254' || /^fe[89ab][0-9a-f]?:/.test(h)) return true;
  return /^(metadata|metadata\.google\.internal|metadata\.goog|instance-data(\.ec2\.internal)?)$/.test(h);
}

export function isLoopback(h: string): boolean {
  return h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1' || h === '0.0.0.0';
}
