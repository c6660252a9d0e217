/** Which hosts a command or URL reaches, and whether the policy lets it. */
const URL_RE = /\b([a-z][a-z0-9+.-]*):\/\/(?:[^\s/@]*@)?(\[[^\]\s]+\]|[^\s/:?#'"]+)/gi;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0)$/i;

/** Hosts named in URLs anywhere in the text. */
export function urlHosts(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(URL_RE)) out.push((m[2] as string).toLowerCase().replace(/\.$/, ''));
  return out;
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
  curl: (a) => bareHosts(a, CURL_OPTS),
  wget: (a) => bareHosts(a, WGET_OPTS),
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
      /^(?:[^\s/@]*@)?([A-Za-z0-9.-]+\.[A-Za-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}|localhost)(?::\d+)?(?:[/?#]|$)/.exec(w);
    if (m) out.push((m[1] as string).toLowerCase());
  }
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
    return p.startsWith('*.') ? (h: string) => h.endsWith(p.slice(1)) : (h: string) => h === p;
  });
  return (h) => m.some((f) => f(h));
}

/** Why the policy forbids reaching a host, or null. */
export function hostProblem(host: string, policy: HostPolicy): string | null {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (hostMatcher(policy.deny)(h)) return `the policy forbids reaching ${h}`;
  if (LOOPBACK.test(h)) return null;
  if (policy.allow.length > 0 && !hostMatcher(policy.allow)(h))
    return `${h} is not among the hosts this discipline may reach (${policy.allow.join(', ')})`;
  return null;
}
