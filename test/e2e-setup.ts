/**
 * Before the end-to-end tier: check that this machine can run it, naming everything that is missing
 * (the tier fails then; it never skips), build agency, and copy what the fleet's nodes run from this
 * checkout to a folder every Unix user can read. A node's user cannot read the checkout itself when it
 * lies in a private folder (a clone under /root, say), and the checkout is left as it is.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { build } from './global-setup.js';
import { CLAUDE_BIN } from './helpers/claude.js';
import { claudeVersion, makeNodeShare, NODE_SHARE_VAR, removeNodeShare } from './helpers/node-share.js';

/** where fleet.sh starts sshd, and where a node user's login finds node */
const SSHD = '/usr/sbin/sshd';
const NODE_FOR_USERS = '/usr/bin/node';

/** programs the tier runs, with the Debian package that has each */
const TOOLS: [string, string][] = [
  ['ip', 'iproute2'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['tmux', 'tmux'],
  ['git', 'git'],
  ['bwrap', 'bubblewrap'],
  ['socat', 'socat'],
  ['useradd', 'passwd'],
  ['userdel', 'passwd'],
  ['flock', 'util-linux'],
  ['mountpoint', 'util-linux'],
];

const sh = (file: string, args: string[]) => spawnSync(file, args, { encoding: 'utf8', timeout: 30_000 });
/** on PATH, or in the sbin folders that are on root's PATH but not always on a normal user's */
const onPath = (name: string) =>
  spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', name], {
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  }).status === 0;

/** Every reason this machine cannot run the end-to-end tier; empty when it can. */
export function missing(): string[] {
  const out: string[] = [];
  if (process.platform !== 'linux')
    out.push(`not Linux (this is ${process.platform}): the fleet is Linux network namespaces`);
  const uid = process.getuid?.();
  const root = uid === 0;
  if (!root) out.push(`not root (uid ${uid}): the fleet adds network namespaces, links and Unix users`);
  for (const [tool, pkg] of TOOLS) if (!onPath(tool)) out.push(`no ${tool} on PATH (apt-get install ${pkg})`);
  if (!statSafe(SSHD)?.isFile()) out.push(`no ${SSHD} (apt-get install openssh-server)`);
  const abi = sh(NODE_FOR_USERS, ['-p', 'process.versions.modules']);
  if (abi.status !== 0) out.push(`no ${NODE_FOR_USERS}: the fleet's users find node there`);
  else if (abi.stdout.trim() !== process.versions.modules)
    out.push(
      `${NODE_FOR_USERS} is not the Node.js these tests run with (${process.version}): the agent pushed to a node loads node-pty built for this one`,
    );
  const claude = statSafe(CLAUDE_BIN) ? claudeVersion(CLAUDE_BIN) : { error: 'it is missing' };
  if ('error' in claude)
    out.push(
      `no working Claude Code CLI at ${CLAUDE_BIN} (${claude.error}): run npm install, with its install scripts`,
    );
  if (root && onPath('ip')) {
    const name = `agency-check-${process.pid}`;
    const add = sh('ip', ['netns', 'add', name]);
    if (add.status !== 0) out.push(`network namespaces are not allowed here: ip netns add said ${add.stderr.trim()}`);
    else sh('ip', ['netns', 'del', name]);
  }
  return out;
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export default function setup(): () => void {
  const reasons = missing();
  if (reasons.length)
    throw new Error(
      `The end-to-end tests cannot run on this machine:\n${reasons.map((r) => `  - ${r}`).join('\n')}\n` +
        'They need Linux, root, iproute2, openssh-server, tmux, git and npm install (see the README). ' +
        'npm run test:unit runs the unit tests alone.',
    );
  build();
  const share = makeNodeShare();
  // the test processes start after this and inherit it
  process.env[NODE_SHARE_VAR] = share.dir;
  return () => removeNodeShare(share);
}
