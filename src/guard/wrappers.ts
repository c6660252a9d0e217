/**
 * Commands that run another command: `env`, `sudo`, `timeout`, `nice`, `xargs`, `watch`… The guard looks
 * through them to the command that really runs, and notes what they change on the way (a folder, the
 * environment, a script given as a string).
 */

export interface Unwrapped {
  /** the command that finally runs (empty: none) */
  argv: string[];
  /** the wrappers passed through, outermost first */
  via: string[];
  /** variables set on the way (`env A=1 cmd`), values when known */
  env: Map<string, string | null>;
  /** the folder it runs in, when a wrapper changes it (`env -C dir`) */
  cwd?: string;
  /** a wrapper that runs a string through `sh -c` (`watch 'cmd'`, `su -c 'cmd'`) */
  script?: string;
  /** it gets arguments nobody can see (xargs, parallel) */
  hiddenArgs?: string;
  /** `env` (or `env -u X`) alone: it prints the whole environment */
  printsEnv?: boolean;
  /** a wrapper that starts an interactive shell reading its standard input (`sudo -s`, `su`) */
  shell?: string;
}

interface Wrapper {
  /** options that take a value */
  values: string[];
  /** positional words before the command (`timeout 10 cmd`, `chroot DIR cmd`) */
  skip?: (w: string) => boolean;
  skipCount?: number;
  /** the option that gives a script string */
  script?: string[];
  /** options after which nothing runs but a lookup */
  lookup?: string[];
  /** options that start a shell when no command follows */
  shell?: string[];
}

const DURATION = (w: string) => /^\d+(\.\d+)?[smhd]?$/.test(w);
const W: Record<string, Wrapper> = {
  env: { values: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'] },
  command: { values: [], lookup: ['-v', '-V'] },
  builtin: { values: [] },
  exec: { values: ['-a'] },
  nice: { values: ['-n', '--adjustment'] },
  nohup: { values: [] },
  setsid: { values: [] },
  time: { values: ['-f', '--format', '-o', '--output'] },
  timeout: { values: ['-s', '--signal', '-k', '--kill-after'], skip: DURATION, skipCount: 1 },
  stdbuf: { values: ['-i', '-o', '-e', '--input', '--output', '--error'] },
  ionice: { values: ['-c', '-n', '-p', '-P', '-u', '--class', '--classdata'] },
  chrt: { values: [], skip: (w) => /^\d+$/.test(w), skipCount: 1 },
  taskset: { values: [], skip: (w) => /^(0x)?[0-9a-f,-]+$/i.test(w), skipCount: 1 },
  sudo: {
    values: ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group', '--chdir'],
    shell: ['-s', '-i', '--shell', '--login'],
  },
  doas: { values: ['-u', '-C'], shell: ['-s'] },
  su: { values: ['-s', '--shell', '-g', '-G', '-w'], script: ['-c', '--command'] },
  runuser: { values: ['-u', '-g', '-G', '-s', '-w', '--user', '--group'], script: ['-c', '--command'] },
  flock: { values: ['-w', '-E', '--timeout', '--conflict-exit-code'], script: ['-c', '--command'], skipCount: 1 },
  script: { values: ['-t', '--timing', '-I', '-O', '-B', '-T', '-E'], script: ['-c', '--command'] },
  unbuffer: { values: [] },
  chronic: { values: [] },
  caffeinate: { values: ['-t', '-w'] },
  catchsegv: { values: [] },
  strace: { values: ['-o', '-e', '-p', '-s', '-u', '-E', '-P', '-a', '-b', '-I', '-X'] },
  ltrace: { values: ['-o', '-e', '-p', '-s', '-u', '-n', '-a', '-A', '-D', '-E', '-F', '-l', '-x'] },
  valgrind: { values: [] },
  unshare: { values: ['-S', '-G', '--setuid', '--setgid', '--wd', '-R', '--root'] },
  nsenter: { values: ['-t', '--target', '-S', '-G', '--setuid', '--setgid', '-w', '--wd', '-r', '--root'] },
  chroot: { values: ['--userspec', '--groups'], skipCount: 1, skip: () => true },
  prlimit: { values: ['-p', '--pid'] },
  torsocks: { values: ['-u', '-p', '-a', '-P'] },
  proxychains: { values: ['-f'] },
  proxychains4: { values: ['-f'] },
  firejail: { values: [] },
  'xvfb-run': { values: ['-n', '-s', '-f', '-e', '-p', '--server-num', '--server-args', '--auth-file'] },
  'dbus-run-session': { values: ['--config-file', '--dbus-daemon'] },
  numactl: { values: ['-C', '-N', '-m', '-p', '-i', '--cpunodebind', '--membind', '--preferred', '--interleave'] },
  cpulimit: { values: ['-l', '-p', '-e', '--limit', '--pid', '--exe'] },
  faketime: { values: ['-f'], skipCount: 1, skip: () => true },
  'systemd-run': { values: ['-p', '-E', '-u', '--unit', '--property', '--setenv', '--slice', '--description', '-M'] },
  pkexec: { values: ['--user'] },
  busybox: { values: [] },
  toybox: { values: [] },
  watch: { values: ['-n', '--interval', '-d', '--differences', '-q', '--equexit'] },
  entr: { values: [] },
};

/** xargs' options that take a value, as separate words */
const XARGS_VALUES = [
  '-I',
  '-n',
  '-P',
  '-L',
  '-s',
  '-d',
  '-E',
  '-a',
  '--max-args',
  '--max-procs',
  '--max-lines',
  '--delimiter',
  '--arg-file',
  '--replace',
  '--eof',
  '--max-chars',
  '--process-slot-var',
];

export function unwrap(argv: string[]): Unwrapped {
  const out: Unwrapped = { argv, via: [], env: new Map() };
  let a = argv;
  for (let guard = 0; guard < 16; guard++) {
    while (a.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a[0] as string)) {
      const w = a[0] as string;
      out.env.set(w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1));
      a = a.slice(1);
    }
    const head = a[0];
    if (head === undefined) break;
    const name = head.split('/').pop() as string;
    if (name === 'xargs' || name === 'parallel') {
      out.via.push(name);
      out.hiddenArgs = name;
      a = name === 'xargs' ? afterOptions(a.slice(1), XARGS_VALUES) : a.slice(1);
      if (name === 'xargs' && a.length === 0) a = ['echo'];
      continue;
    }
    const w = W[name];
    if (!w) break;
    out.via.push(name);
    let rest = a.slice(1);
    let i = 0;
    for (; i < rest.length; i++) {
      const x = rest[i] as string;
      if (x === '--') {
        i++;
        break;
      }
      if (!x.startsWith('-') || x === '-') break;
      const [opt, inline] =
        x.startsWith('--') && x.includes('=')
          ? [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]
          : [x, undefined];
      const value = () => (inline !== undefined ? inline : (rest[++i] ?? ''));
      if (w.lookup?.includes(opt)) return { ...out, argv: [] };
      // `script -qc CMD`: a cluster of short options that ends in the script option
      const cluster = /^-[a-zA-Z]+$/.test(opt) && w.script?.some((o) => o.length === 2 && opt.endsWith(o[1] as string));
      if (w.script?.includes(opt) || cluster) {
        out.script = value();
        return { ...out, argv: [] };
      }
      if (name === 'env' && (opt === '-C' || opt === '--chdir')) out.cwd = value();
      else if (name === 'env' && (opt === '-u' || opt === '--unset')) out.env.set(value(), null);
      else if (name === 'env' && (opt === '-S' || opt === '--split-string')) {
        out.script = [value(), ...rest.slice(i + 1)].join(' ');
        return { ...out, argv: [] };
      } else if (w.shell?.includes(opt)) out.shell = `${name} ${opt}`;
      else if (w.values.includes(opt) && inline === undefined) i++;
      else if (name === 'nice' && /^-\d+$/.test(opt)) continue;
    }
    rest = rest.slice(i);
    if (name === 'env') {
      while (rest.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0] as string)) {
        const x = rest[0] as string;
        out.env.set(x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1));
        rest = rest.slice(1);
      }
      if (rest.length === 0) return { ...out, argv: [], printsEnv: true };
    }
    for (let k = 0; k < (w.skipCount ?? 0) && rest.length > 0 && (w.skip?.(rest[0] as string) ?? true); k++)
      rest = rest.slice(1);
    // su USER -c CMD, flock FILE -c CMD: the script option may come after a positional word
    const late = w.script ? rest.findIndex((x) => w.script?.includes(x)) : -1;
    if (late >= 0) {
      out.script = rest[late + 1] ?? '';
      return { ...out, argv: [] };
    }
    if (name === 'su' || name === 'runuser') rest = [];
    if (name === 'watch') {
      // watch runs its words as one line through sh -c
      out.script = rest.join(' ');
      return { ...out, argv: [] };
    }
    if (['su', 'runuser', 'sudo', 'doas', 'chroot', 'unshare', 'nsenter'].includes(name) && rest.length === 0)
      out.shell ??= name;
    a = rest;
  }
  return { ...out, argv: a };
}

function afterOptions(a: string[], values: string[]): string[] {
  let i = 0;
  while (i < a.length) {
    const w = a[i] as string;
    if (w === '--') return a.slice(i + 1);
    if (!w.startsWith('-') || w === '-') break;
    i += values.includes(w) ? 2 : 1;
  }
  return a.slice(i);
}
