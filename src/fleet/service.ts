/**
 * The node daemon as a service of the node user's own, so that it comes back after a reboot: a systemd
 * user unit on Linux, a launchd agent on macOS. `agency push --service` installs it.
 */
import type { Platform } from './bundle.js';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export const SYSTEMD_UNIT = 'agency-node.service';
export const LAUNCHD_LABEL = 'dev.agency.node';

export function systemdUnit(node: string, agency: string): string {
  return [
    '[Unit]',
    'Description=agency node daemon',
    'After=network-online.target',
    '',
    '[Service]',
    `ExecStart=${node} ${agency} node serve`,
    'Restart=on-failure',
    'RestartSec=2',
    // its sessions are its children: they stop with it, and it resumes them when it starts again
    'KillMode=mixed',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export function launchdPlist(node: string, agency: string, home: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array><string>${esc(node)}</string><string>${esc(agency)}</string><string>node</string><string>serve</string></array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>StandardOutPath</key><string>${esc(home)}/.agency/node.log</string>
  <key>StandardErrorPath</key><string>${esc(home)}/.agency/node.log</string>
</dict>
</plist>
`;
}

/**
 * A shell script that installs and starts the service (replacing a daemon started without one). Its
 * output's last line says what happened; a machine without a user service manager gets a clear failure.
 */
export function serviceScript(platform: Platform, home: string): string {
  const agency = `${home}/.agency/agent/current/bin/agency`;
  if (platform === 'linux-x64') {
    const dir = `${home}/.config/systemd/user`;
    return [
      'set -e',
      'node=$(command -v node)',
      `mkdir -p ${q(dir)}`,
      `cat > ${q(`${dir}/${SYSTEMD_UNIT}`)} <<AGENCY_UNIT\n${systemdUnit('$node', agency)}AGENCY_UNIT`,
      'systemctl --user daemon-reload || { echo "no systemd user instance here (is the user logged in, or lingering?)" >&2; exit 5; }',
      `node ${q(agency)} node stop >/dev/null 2>&1 || true`,
      `systemctl --user enable --now ${SYSTEMD_UNIT}`,
      // without lingering, a user's services stop when the user logs out
      'loginctl enable-linger "$(id -un)" 2>/dev/null || echo "could not enable lingering: the service stops when $(id -un) logs out" >&2',
      'echo service=systemd',
    ].join('\n');
  }
  const plist = `${home}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`;
  return [
    'set -e',
    'node=$(command -v node)',
    `mkdir -p ${q(`${home}/Library/LaunchAgents`)}`,
    `cat > ${q(plist)} <<AGENCY_PLIST\n${launchdPlist('$node', agency, home)}AGENCY_PLIST`,
    `node ${q(agency)} node stop >/dev/null 2>&1 || true`,
    `launchctl bootout "gui/$(id -u)/${LAUNCHD_LABEL}" 2>/dev/null || true`,
    `launchctl bootstrap "gui/$(id -u)" ${q(plist)}`,
    'echo service=launchd',
  ].join('\n');
}
