/** Which hosts a command or URL reaches, and whether the policy lets it (addresses normalised first). */
import { isLoopback, isMetadata, normaliseHost } from './addresses.js';
import { isUnknown } from './paths.js';

const URL_RE = /\b([a-z][a-z0-9+.-]*):\/\/(?:[^\s/@]*@)?(\[[^\]\s]+\]|[^\s/:?#'"\\]+)/gi;
const URL_TOKEN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>`]+/gi;

/** Hosts named in URLs anywhere in the text (as written, and as a URL parser reads them). */
export function urlHosts(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(URL_RE)) out.add((m[2] as string).toLowerCase().replace(/\.$/, ''));
  for (const m of text.matchAll(URL_TOKEN)) {
    try {
      const h = new URL(m[0]).hostname;
      if (h !== '') out.add(h);
    } catch {
      // not a URL after all
    }
  }
  return [...out];
}

/** Network commands and where their host argument is. */
const HOST_COMMANDS: Record<string, (args: string[]) => string[]> = {
  ssh: (a) => firstPositional(a, SSH_OPTS).map(stripUser),
  mosh: (a) => firstPositional(a, new Set()).map(stripUser),
  scp: (a) =>
    a.filter((w) => /^[^/\s]*:/.test(w) && !w.startsWith('-')).map((w) => stripUser(w.split(':')[0] as string)),
  sftp: (a) => firstPositional(a, SSH_OPTS).map((w) => stripUser(w.split(':')[0] as string)),
  rsync: (a) =>
    a
      .filter((w) => /^[^/\s]+:/.test(w) && !w.startsWith('-') && !w.includes('://'))
      .map((w) => stripUser(w.split(':')[0] as string)),
  nc: (a) => firstPositional(a, NC_OPTS),
  ncat: (a) => firstPositional(a, NC_OPTS),
  netcat: (a) => firstPositional(a, NC_OPTS),
  telnet: (a) => firstPositional(a, new Set()),
  ftp: (a) => firstPositional(a, new Set()),
  ping: (a) => firstPositional(a, new Set(['-c', '-i', '-w', '-W', '-s', '-t'])),
  curl: (a) => [
    ...bareHosts(a, CURL_OPTS),
    ...valuesOf(a, ['--url', '-x', '--proxy', '--preproxy', '--socks4', '--socks4a', '--socks5', '--socks5-hostname']),
    // HOST:PORT:ADDRESS and HOST1:PORT1:HOST2:PORT2: every part that is not a port is a host
    ...rawValues(a, ['--resolve', '--connect-to']).flatMap((v) =>
      (v.match(/\[[^\]]*\]|[^:]+/g) ?? []).filter((x) => !/^\d*$/.test(x) && x !== '*'),
    ),
  ],
  wget: (a) => bareHosts(a, WGET_OPTS),
  socat: (a) =>
    a.flatMap((w) => {
      const m =
        /^(?:tcp|tcp4|tcp6|udp|udp4|udp6|openssl|ssl|tcp-connect|tcp4-connect|tcp6-connect|udp-connect|udp-sendto|socks4a?|proxy)[^:]*:(\[[^\]]+\]|[^:,]+)/i.exec(
          w,
        );
      return m ? [m[1] as string] : [];
    }),
  openssl: (a) => valuesOf(a, ['-connect']).map((w) => w.replace(/:\d+$/, '')),
  http: (a) => bareHosts(a, new Set()),
  https: (a) => bareHosts(a, new Set()),
};

const SSH_OPTS = new Set([
  '-b',
  '-c',
  '-D',
  '-E',
  '-e',
  '-F',
  '-I',
  '-i',
  '-J',
  '-L',
  '-l',
  '-m',
  '-O',
  '-o',
  '-p',
  '-Q',
  '-R',
  '-S',
  '-W',
  '-w',
  '-P',
]);
const NC_OPTS = new Set(['-p', '-s', '-w', '-x', '-X', '-i', '-q']);
const CURL_OPTS = new Set([
  '-d',
  '--data',
  '--data-raw',
  '--data-binary',
  '-H',
  '--header',
  '-o',
  '--output',
  '-u',
  '--user',
  '-X',
  '--request',
  '-A',
  '--user-agent',
  '-e',
  '--referer',
  '-F',
  '--form',
  '-T',
  '--upload-file',
  '-b',
  '--cookie',
  '-c',
  '--cookie-jar',
  '--connect-timeout',
  '-m',
  '--max-time',
  '-w',
  '--write-out',
  '--resolve',
  '--connect-to',
  '-x',
  '--proxy',
  '-K',
  '--config',
]);
const WGET_OPTS = new Set([
  '-O',
  '--output-document',
  '-o',
  '--output-file',
  '-P',
  '--directory-prefix',
  '-U',
  '--user-agent',
  '--header',
  '-e',
  '-t',
  '--tries',
  '-T',
  '--timeout',
]);

function stripUser(w: string): string {
  return w.slice(w.lastIndexOf('@') + 1).replace(/^\[|\]$/g, '');
}

function firstPositional(args: string[], withValue: Set<string>): string[] {
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (w.startsWith('-')) {
      if (withValue.has(w)) i++;
      continue;
    }
    return [w];
  }
  return [];
}

/** curl and wget also take `example.com/path` without a scheme. */
function bareHosts(args: string[], withValue: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (w.startsWith('-')) {
      if (withValue.has(w)) i++;
      continue;
    }
    if (w.includes('://')) continue; // urlHosts sees these
    const m =
      /^(?:[^\s/@]*@)?([A-Za-z0-9.-]+\.[A-Za-z]{2,}|(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}|\[[0-9a-f:.]+\]|localhost)(?::\d+)?(?:[/?#]|$)/i.exec(
        w,
      );
    if (m) out.push((m[1] as string).toLowerCase());
  }
  return out;
}

/** the values of these options, `--opt value` and `--opt=value`, as hosts */
function valuesOf(args: string[], opts: string[]): string[] {
  return rawValues(args, opts).map((v) => urlHosts(v)[0] ?? v.replace(/^[^@]*@/, '').replace(/:\d+.*$/, ''));
}

function rawValues(args: string[], opts: string[]): string[] {
  const out: string[] = [];
  args.forEach((w, i) => {
    for (const o of opts) {
      if (w === o && args[i + 1] !== undefined) out.push(args[i + 1] as string);
      else if (w.startsWith(`${o}=`)) out.push(w.slice(o.length + 1));
    }
  });
  return out;
}

export function commandHosts(name: string, args: string[]): string[] {
  const f = HOST_COMMANDS[name];
  return f ? f(args).filter((h) => h.length > 0 && !h.startsWith('-')) : [];
}

export interface HostPolicy {
  allow: string[];
  deny: string[];
}

function hostMatcher(patterns: string[]): (host: string) => boolean {
  const m = patterns.map((raw) => {
    const p = raw.toLowerCase();
    if (p.startsWith('*.')) return (h: string) => h.endsWith(p.slice(1));
    const n = normaliseHost(p);
    return (h: string) => h === n;
  });
  return (h) => m.some((f) => f(h));
}

/** Why the policy forbids reaching a host, or null. */
export function hostProblem(host: string, policy: HostPolicy): string | null {
  if (isUnknown(host)) {
    return policy.allow.length > 0
      ? 'cannot tell which host this reaches, and this discipline may reach only the hosts it lists'
      : null;
  }
  const h = normaliseHost(host);
  const as = h === host.toLowerCase().replace(/^\[|\]$/g, '') ? h : `${h} (written ${host})`;
  if (isMetadata(h)) return `the policy forbids reaching ${as}: a cloud metadata or link-local address`;
  if (hostMatcher(policy.deny)(h)) return `the policy forbids reaching ${as}`;
  if (isLoopback(h)) return null;
  if (policy.allow.length > 0 && !hostMatcher(policy.allow)(h))
    return `${as} is not among the hosts this discipline may reach (${policy.allow.join(', ')})`;
  return null;
}

/** bash's `/dev/tcp/HOST/PORT` and `/dev/udp/HOST/PORT`: a connection, judged by its host. */
export function netDeviceProblem(path: string, policy: HostPolicy): string | null {
  const m = /^\/dev\/(tcp|udp)\/([^/]*)\//.exec(path);
  if (!m) return null;
  const host = m[2] as string;
  if (isUnknown(host) || host === '') return `cannot tell which host ${path.replace(/\u0001/g, '…')} connects to`;
  return hostProblem(host, policy);
}
