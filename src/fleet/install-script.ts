/**
 * The shell script `agency push` runs on a node once the archives are there: it checks and unpacks the
 * runtime and the agent, switches `current`, writes the launcher and restarts the daemon — under the
 * node's service when one is installed. Two pushes to one node at once do not meet: each run names its
 * temporary files with its own suffix, and the install itself holds a lock on the node. Whatever a failed
 * run leaves half done (an upload, an unpacked folder) is removed when it exits.
 */
import { AGENT_DIR, AGENT_LAUNCHER } from './remote-link.js';
import { ALIVE_FN, LAUNCHD_LABEL, NODE_LOG, SYSTEMD_UNIT } from './service.js';
import { shq as q } from './shell-quote.js';

/** where a run's upload waits to be checked: named by the archive's hash and the run's own suffix */
export const incomingPart = (dir: string, sha: string, run: string) => `${dir}/incoming/${sha}.${run}.part`;

/** the lock a push holds on the node while it installs, relative to the agent's folder */
export const PUSH_LOCK = '.push.lock';

export interface InstallPlan {
  /** the agent's folder (absolute) */
  agent: string;
  /** the agent bundle's sha256 */
  sha: string;
  /** whether this run uploaded the agent's archive (to incomingPart(agent, sha, run)) */
  unpack: boolean;
  /** the runtime folder and the runtime's sha256, when this run uploaded one */
  runtime?: { dir: string; sha: string };
  /** the Node the launcher runs */
  nodeBin: string;
  /** the launcher's text */
  launcher: string;
  /** this run's suffix for its temporary names (letters and digits) */
  run: string;
}

const checkHash = (file: string, sha: string, what: string) => [
  `got=$( (sha256sum ${file} 2>/dev/null || shasum -a 256 ${file}) | cut -d' ' -f1)`,
  `[ "$got" = ${q(sha)} ] || { echo "the uploaded ${what} does not match its hash ($got)" >&2; exit 3; }`,
];

/** Unpacks an archive into `<sha>`, complete or not at all, unless a complete one is there already. */
function unpack(dir: string, sha: string, run: string, what: string, check: string[]): string[] {
  const part = q(incomingPart(dir, sha, run));
  const tmp = q(`${dir}/${sha}.tmp.${run}`);
  const final = q(`${dir}/${sha}`);
  return [
    `if [ ! -f ${final}/.complete ]; then`,
    ...checkHash(part, sha, what),
    `mkdir ${tmp}`,
    `tar xzf ${part} -C ${tmp}`,
    ...check.map((l) => l.replace(/\$TMP/g, tmp)),
    `touch ${tmp}/.complete`,
    `rm -rf ${final}`,
    `mv ${tmp} ${final}`,
    'fi',
    `rm -f ${part}`,
  ];
}

/** Takes the node's push lock, waiting while another live push holds it; a lock whose push has gone is stale. */
function takeLock(lock: string): string[] {
  return [
    `lock=${q(lock)}; i=0; e=0`,
    'until mkdir "$lock" 2>/dev/null; do',
    '  p=$(cat "$lock/pid" 2>/dev/null || true)',
    // the push that held it has gone (or never wrote its pid, 5 s on): the lock is stale
    '  if [ -n "$p" ] && ! kill -0 "$p" 2>/dev/null; then rm -rf "$lock"; continue; fi',
    '  if [ -z "$p" ]; then e=$((e+1)); [ $e -lt 100 ] || { rm -rf "$lock"; e=0; continue; }; fi',
    '  i=$((i+1)); [ $i -lt 3600 ] || { echo "another push to this node has held $lock for 3 minutes: try again later, or remove it if no push runs" >&2; exit 7; }',
    '  sleep 0.05',
    'done',
    'echo $$ > "$lock/pid"',
  ];
}

/** The daemon started straight from the shell through the launcher, immune to the session's hangup. */
// (one simple command put in the background: a list or subshell there would keep the session's output open)
const nohupStart = (launcher: string) =>
  `cd "$HOME"; nohup ${launcher} node serve >> "$HOME/${NODE_LOG}" 2>&1 < /dev/null &`;

/**
 * `ready N`: waits up to N polls of 50 ms for a daemon of build $sha, other than $old, serving on its socket.
 */
const READY_FN = [
  'ready() { i=0; while [ $i -lt "$1" ]; do',
  '  if [ -S "$HOME/.agency/run/node.sock" ] && [ -f "$HOME/.agency/run/node.build" ]; then',
  '    nb=; np=; read -r nb np < "$HOME/.agency/run/node.build" || true',
  '    [ "$nb" != "$sha" ] || [ "$np" = "$old" ] || ! alive "$np" || return 0',
  '  fi',
  '  sleep 0.05; i=$((i+1)); done; return 1; }',
].join('\n');

/**
 * Removes what failed pushes left in a folder: the names earlier versions of push used for every run, and
 * this version's per-run names once an hour old (a push uploading now keeps its file's time fresh).
 */
const sweep = (dir: string) => [
  `rm -rf ${q(dir)}/*.tmp ${q(dir)}/incoming/*.tgz.part`,
  `find ${q(dir)} ${q(`${dir}/incoming`)} -maxdepth 1 \\( -name '*.tmp.*' -o -name '*.part' \\) -mmin +60 -exec rm -rf {} + 2>/dev/null || true`,
];

/** The whole script: `set -e`, cleanup on exit, the lock, the runtime, the agent, the restart. */
export function installScript(p: InstallPlan): string {
  const { agent, sha, run } = p;
  const launcher = q(`${agent}/${AGENT_LAUNCHER.slice(AGENT_DIR.length + 1)}`);
  const newLauncher = q(`${agent}/agency.new.${run}`);
  const temps = [
    `${agent}/${sha}.tmp.${run}`,
    `${agent}/current.new.${run}`,
    `${agent}/agency.new.${run}`,
    incomingPart(agent, sha, run),
    ...(p.runtime
      ? [`${p.runtime.dir}/${p.runtime.sha}.tmp.${run}`, incomingPart(p.runtime.dir, p.runtime.sha, run)]
      : []),
  ];
  return [
    'set -e',
    `sha=${q(sha)}`,
    ALIVE_FN,
    READY_FN,
    // a failed run leaves nothing of its own behind, and lets go of the lock
    `cleanup() { rm -rf ${temps.map(q).join(' ')}; [ "$(cat "$lock/pid" 2>/dev/null)" != $$ ] || rm -rf "$lock"; }`,
    'lock=',
    'trap cleanup EXIT',
    "trap 'exit 1' INT TERM HUP",
    ...takeLock(`${agent}/${PUSH_LOCK}`),
    ...sweep(agent),
    ...(p.runtime ? sweep(p.runtime.dir) : []),
    ...(p.runtime
      ? unpack(p.runtime.dir, p.runtime.sha, run, 'Node runtime', [
          'if ! out=$($TMP/bin/node -e 0 2>&1); then',
          "  echo \"the Node runtime does not run on this node: $(printf '%s\\n' \"$out\" | tail -n 4 | tr '\\n' ' ')\" >&2; exit 5",
          'fi',
        ])
      : []),
    ...(p.unpack ? unpack(agent, sha, run, 'agent', []) : []),
    `cd ${q(agent)}`,
    `ln -sfn ${q(sha)} ${q(`current.new.${run}`)}`,
    // rename(2) replaces the link in one step (mv would move it into the folder it points to)
    `${q(p.nodeBin)} -e 'require("fs").renameSync(process.argv[1], "current")' ${q(`current.new.${run}`)} || { echo "cannot switch to the new agent" >&2; exit 6; }`,
    // the launcher, replaced whole
    `printf '%s' ${q(p.launcher)} > ${newLauncher}`,
    `chmod 755 ${newLauncher}`,
    `same=no; [ ! -f ${launcher} ] || [ "$(cat ${launcher})" != "$(cat ${newLauncher})" ] || same=yes`,
    `mv -f ${newLauncher} ${launcher}`,
    // the daemon running now (a push that held the lock before this one may have started it)
    'b=; old=; [ ! -f "$HOME/.agency/run/node.build" ] || read -r b old < "$HOME/.agency/run/node.build" || true',
    '[ -z "$old" ] || alive "$old" || old=',
    'if [ -n "$old" ] && [ "$b" = "$sha" ] && [ $same = yes ]; then echo daemon=running; exit 0; fi',
    // the old daemon stops; its live sessions are resumed by the new one
    'if [ -n "$old" ]; then kill "$old" 2>/dev/null || true; i=0; while alive "$old" && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; fi',
    ...restart(launcher),
  ].join('\n');
}

/**
 * Starts the daemon again: through its service when one is installed (and, on Linux, enabled), so it
 * stays under it; else, or when the service does not bring it up, from the shell through the launcher.
 */
function restart(launcher: string): string[] {
  const unit = `"$HOME/.config/systemd/user/${SYSTEMD_UNIT}"`;
  const plist = `"$HOME/Library/LaunchAgents/${LAUNCHD_LABEL}.plist"`;
  return [
    'via=',
    `if [ -f ${unit} ] && command -v systemctl >/dev/null 2>&1; then`,
    '  [ -n "$XDG_RUNTIME_DIR" ] || [ ! -d "/run/user/$(id -u)" ] || export XDG_RUNTIME_DIR="/run/user/$(id -u)"',
    `  if systemctl --user is-enabled --quiet ${SYSTEMD_UNIT} 2>/dev/null; then`,
    `    if err=$(systemctl --user restart ${SYSTEMD_UNIT} 2>&1); then via=systemd; else echo "could not restart ${SYSTEMD_UNIT} ($err): the daemon runs without it" >&2; fi`,
    '  fi',
    `elif [ -f ${plist} ] && command -v launchctl >/dev/null 2>&1; then`,
    `  if err=$(launchctl kickstart -k "gui/$(id -u)/${LAUNCHD_LABEL}" 2>&1); then via=launchd; else echo "could not start ${LAUNCHD_LABEL} through launchctl ($err): the daemon runs without it" >&2; fi`,
    'fi',
    'if [ -n "$via" ] && ! ready 300; then',
    '  echo "the service ($via) started no daemon in 15 s: the daemon runs without it" >&2; via=',
    'fi',
    'if [ -z "$via" ]; then',
    `  ${nohupStart(launcher)}`,
    `  ready 600 || { tail -n 3 "$HOME/${NODE_LOG}" >&2; echo "the node daemon did not start" >&2; exit 4; }`,
    'fi',
    'echo "daemon=${via:-nohup}"',
  ];
}
