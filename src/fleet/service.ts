/**
 * The node daemon as a service of the node user's own, so that it comes back after a crash, a `kill -9`
 * and a reboot: a systemd user unit on Linux, a launchd agent on macOS. `agency push --service` installs
 * it. Both run the launcher push writes (AGENT_LAUNCHER), which runs the current agent on the Node the
 * node uses, so neither depends on `node` being on the service manager's PATH.
 *
 * Both restart the daemon only when it did not exit cleanly: a crash or a kill brings it back, while
 * `agency node stop` ends it for good until the service is started again (a push that installs a new
 * agent restarts it through the service: see install-script.ts). A daemon that finds another one already
 * serving exits cleanly too, so two starters never make a restart loop.
 */
import type { Platform } from './bundle.js';
import { AGENT_LAUNCHER } from './remote-link.js';
import { shq as q } from './shell-quote.js';

export const SYSTEMD_UNIT = 'agency-node.service';
export const LAUNCHD_LABEL = 'dev.agency.node';
/** where the daemon writes what it says, under the service as without it */
export const NODE_LOG = '.agency/node.log';
/** the service's PATH on macOS: launchd's own has none of Homebrew's folders */
export const LAUNCHD_PATH = '/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';

/** The systemd user unit; `%h` is the user's home, so the unit is the same for every user. */
export function systemdUnit(): string {
  return [
    '[Unit]',
    'Description=agency node daemon',
    // five quick failures in a minute, and systemd stops trying (`systemctl --user reset-failed` clears it)
    'StartLimitIntervalSec=60',
    'StartLimitBurst=5',
    '',
    '[Service]',
    // its output goes to node.log through the shell (StandardOutput=append: needs systemd 240)
    `ExecStart=/bin/sh -c 'exec "$$HOME/${AGENT_LAUNCHER}" node serve >> "$$HOME/${NODE_LOG}" 2>&1'`,
    'WorkingDirectory=%h',
    // a crash or a kill (SIGKILL is not a clean exit) brings it back; a clean stop does not
    'Restart=on-failure',
    'RestartSec=2',
    // its sessions are its children: TERM goes to the daemon alone, which stops them in order and resumes
    // them when it starts again; whatever is left when it has gone is killed
    'KillMode=mixed',
    'TimeoutStopSec=30',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** Text for a plist <string>: XML's three special characters escaped. */
export const plistText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The launchd agent, with the user's home written out (a plist has no `~`). */
export function launchdPlist(home: string): string {
  const s = (v: string) => `<string>${plistText(v)}</string>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>${s(LAUNCHD_LABEL)}
  <key>ProgramArguments</key>
  <array>${s(`${home}/${AGENT_LAUNCHER}`)}${s('node')}${s('serve')}</array>
  <key>WorkingDirectory</key>${s(home)}
  <key>EnvironmentVariables</key>
  <dict><key>PATH</key>${s(LAUNCHD_PATH)}</dict>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>ThrottleInterval</key><integer>5</integer>
  <key>ProcessType</key>${s('Standard')}
  <key>StandardOutPath</key>${s(`${home}/${NODE_LOG}`)}
  <key>StandardErrorPath</key>${s(`${home}/${NODE_LOG}`)}
</dict>
</plist>
`;
}

/** Shell: `alive PID` is true for a running process (a dead one its parent has not reaped yet is not). */
export const ALIVE_FN =
  'alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }';

/** Shell: waits up to 30 s for the daemon's socket. */
const SOCKET_WAIT =
  'i=0; while [ ! -S "$HOME/.agency/run/node.sock" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done';

/** The launcher push writes before it runs this script. */
const launcherLines = (home: string) => [
  `launcher=${q(`${home}/${AGENT_LAUNCHER}`)}`,
  '[ -x "$launcher" ] || { echo "the agent has no launcher: run agency push again" >&2; exit 6; }',
];

/** The daemon started again from the shell through the launcher, when the service could not start it. */
const nohupStart = () => [
  // one simple command in the background: a list or a subshell there would keep the session's output open
  'cd "$HOME"',
  `nohup "$launcher" node serve >> "$HOME/${NODE_LOG}" 2>&1 < /dev/null &`,
  SOCKET_WAIT,
];

/**
 * Stops the daemon that runs now, under the service or not (its sessions resume under the service), and
 * waits for its process to end: a daemon still shutting down would remove its successor's socket.
 */
const stopDaemon = () => [
  ALIVE_FN,
  'old=; [ ! -f "$HOME/.agency/run/node.build" ] || read -r _ old < "$HOME/.agency/run/node.build" || true',
  '"$launcher" node stop >/dev/null 2>&1 || true',
  'i=0; while [ -n "$old" ] && alive "$old" && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
];

/** Waits up to 30 s for the daemon's socket; on failure the log's last lines and a reason. */
const waitSocket = (what: string) => [
  SOCKET_WAIT,
  `[ -S "$HOME/.agency/run/node.sock" ] || { tail -n 3 "$HOME/${NODE_LOG}" >&2; echo ${q(what)} >&2; exit 4; }`,
];

/**
 * A shell script that installs and starts the service, replacing a daemon started without one. Its
 * output's last line is `service=systemd` or `service=launchd`; a node without a user service manager
 * fails with the reason and what to do on its last line of stderr.
 */
export function serviceScript(platform: Platform, home: string): string {
  if (platform.startsWith('linux')) {
    const dir = `${home}/.config/systemd/user`;
    const unit = `${dir}/${SYSTEMD_UNIT}`;
    return [
      'set -e',
      ...launcherLines(home),
      `mkdir -p ${q(dir)}`,
      `cat > ${q(`${unit}.tmp`)} <<'AGENCY_UNIT'\n${systemdUnit()}AGENCY_UNIT`,
      `mv ${q(`${unit}.tmp`)} ${q(unit)}`,
      'command -v systemctl >/dev/null || { echo "this node has no systemd (systemctl is not on the PATH): run the daemon without --service" >&2; exit 5; }',
      // a login without pam_systemd (su, some sshd setups) has no XDG_RUNTIME_DIR, though the manager runs
      '[ -n "$XDG_RUNTIME_DIR" ] || [ ! -d "/run/user/$(id -u)" ] || export XDG_RUNTIME_DIR="/run/user/$(id -u)"',
      // lingering: the user's manager starts at boot and stays after logout, and with it the service
      'linger=yes; loginctl enable-linger "$(id -un)" 2>/dev/null || linger=no',
      'if ! err=$(systemctl --user daemon-reload 2>&1); then',
      '  echo "no systemd user manager for $(id -un) here ($err): log in to the node once, or have root run loginctl enable-linger $(id -un), then push --service again" >&2; exit 5',
      'fi',
      ...stopDaemon(),
      `systemctl --user reset-failed ${SYSTEMD_UNIT} >/dev/null 2>&1 || true`,
      // the old daemon has stopped: if systemd does not start the new one, the launcher does
      `if ! err=$( { systemctl --user enable --quiet ${SYSTEMD_UNIT} && systemctl --user restart ${SYSTEMD_UNIT}; } 2>&1); then`,
      ...nohupStart().map((l) => `  ${l}`),
      `  echo "systemctl could not start ${SYSTEMD_UNIT} ($err): the daemon was started again without the service" >&2; exit 5`,
      'fi',
      ...waitSocket(`the service started no daemon: see systemctl --user status ${SYSTEMD_UNIT}`),
      '[ $linger = yes ] || echo "could not enable lingering for $(id -un): the service stops when $(id -un) logs out (root can run loginctl enable-linger $(id -un))" >&2',
      'echo service=systemd',
    ].join('\n');
  }
  const plist = `${home}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`;
  return [
    'set -e',
    ...launcherLines(home),
    `mkdir -p ${q(`${home}/Library/LaunchAgents`)}`,
    `cat > ${q(`${plist}.tmp`)} <<'AGENCY_PLIST'\n${launchdPlist(home)}AGENCY_PLIST`,
    `mv ${q(`${plist}.tmp`)} ${q(plist)}`,
    `launchctl bootout "gui/$(id -u)/${LAUNCHD_LABEL}" 2>/dev/null || true`,
    ...stopDaemon(),
    // the gui domain exists while the user is logged in at the Mac (or logs in automatically); bootout
    // returns before launchd lets go of the label, so a bootstrap right after it may fail for a while
    'ok=no; i=0; while [ $i -lt 60 ]; do',
    `  if err=$(launchctl bootstrap "gui/$(id -u)" ${q(plist)} 2>&1); then ok=yes; break; fi`,
    '  command -v launchctl >/dev/null 2>&1 || break',
    '  i=$((i+1)); sleep 0.25',
    'done',
    'if [ $ok = no ]; then',
    ...nohupStart().map((l) => `  ${l}`),
    `  echo "launchctl bootstrap gui/$(id -u) failed ($err): the user must be logged in at the Mac (or log in automatically) for its launchd agent to run; the daemon was started again without the service" >&2; exit 5`,
    'fi',
    ...waitSocket(`the service started no daemon: see launchctl print gui/$(id -u)/${LAUNCHD_LABEL}`),
    'echo service=launchd',
  ].join('\n');
}
