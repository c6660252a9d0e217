/**
 * The service files `agency push --service` writes: the launchd agent parsed with a real plist parser and
 * checked against launchd.plist(5)'s keys and their types; the shell script that installs them run for real
 * with a home whose path holds the characters a plist and a shell must escape. (The systemd unit is checked
 * by systemd itself, `systemd-analyze verify`, in test/fleet/service.e2e.test.ts: Linux only.)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as plist from 'plist';
import { describe, expect, it } from 'vitest';
import { AGENT_LAUNCHER } from '../../src/fleet/remote-link.js';
import {
  launchdPlist,
  LAUNCHD_LABEL,
  NODE_LOG,
  serviceScript,
  SYSTEMD_UNIT,
  systemdUnit,
} from '../../src/fleet/service.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const bool: Check = (v) => typeof v === 'boolean';
const int: Check = (v) => typeof v === 'number' && Number.isInteger(v);
const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
const strings: Check = (v) => Array.isArray(v) && v.every(str);
const dictOf =
  (c: Check): Check =>
  (v) =>
    isDict(v) && Object.values(v).every(c);
const oneOf =
  (...xs: string[]): Check =>
  (v) =>
    typeof v === 'string' && xs.includes(v);

/** launchd.plist(5): KeepAlive is a boolean or a dictionary of these conditions */
const KEEP_ALIVE: Record<string, Check> = {
  SuccessfulExit: bool,
  NetworkState: bool,
  PathState: dictOf(bool),
  OtherJobEnabled: dictOf(bool),
  Crashed: bool,
  AfterInitialDemand: dictOf(bool),
};

/** The keys of launchd.plist(5) a user agent may use, each with the type launchd expects. */
const LAUNCHD_KEYS: Record<string, Check> = {
  Label: str,
  Disabled: bool,
  UserName: str,
  GroupName: str,
  Program: str,
  ProgramArguments: (v) => strings(v) && (v as string[]).length > 0,
  EnableGlobbing: bool,
  EnableTransactions: bool,
  EnablePressuredExit: bool,
  OnDemand: bool,
  ServiceIPC: bool,
  KeepAlive: (v) => bool(v) || (isDict(v) && Object.entries(v).every(([k, x]) => KEEP_ALIVE[k]?.(x) === true)),
  RunAtLoad: bool,
  RootDirectory: str,
  WorkingDirectory: str,
  EnvironmentVariables: dictOf(str),
  Umask: (v) => int(v) || str(v),
  TimeOut: int,
  ExitTimeOut: int,
  ThrottleInterval: int,
  InitGroups: bool,
  WatchPaths: strings,
  QueueDirectories: strings,
  StartOnMount: bool,
  StartInterval: int,
  StartCalendarInterval: (v) => isDict(v) || Array.isArray(v),
  StandardInPath: str,
  StandardOutPath: str,
  StandardErrorPath: str,
  Debug: bool,
  WaitForDebugger: bool,
  SoftResourceLimits: dictOf(int),
  HardResourceLimits: dictOf(int),
  Nice: int,
  ProcessType: oneOf('Background', 'Standard', 'Adaptive', 'Interactive'),
  AbandonProcessGroup: bool,
  LowPriorityIO: bool,
  LowPriorityBackgroundIO: bool,
  MaterializeDatalessFiles: bool,
  LaunchOnlyOnce: bool,
  MachServices: isDict,
  Sockets: isDict,
  LimitLoadToSessionType: (v) => str(v) || strings(v),
  LimitLoadToHardware: isDict,
  LimitLoadFromHardware: isDict,
  AssociatedBundleIdentifiers: (v) => str(v) || strings(v),
};
const REQUIRED = ['Label'];

/** Every problem of a launchd job's plist, `Key: problem`; none for a job launchd takes. */
function launchdProblems(text: string): string[] {
  const doc = plist.parse(text);
  if (!isDict(doc)) return ['the plist is not a dictionary'];
  const out: string[] = [];
  for (const k of REQUIRED) if (!(k in doc)) out.push(`${k}: missing`);
  if (!('Program' in doc) && !('ProgramArguments' in doc)) out.push('Program or ProgramArguments: missing');
  for (const [k, v] of Object.entries(doc)) {
    const check = LAUNCHD_KEYS[k];
    if (!check) out.push(`${k}: not a key of launchd.plist(5)`);
    else if (!check(v)) out.push(`${k}: wrong type (${JSON.stringify(v)})`);
  }
  return out;
}

/** A home folder whose path needs escaping in XML and quoting in a shell. */
const ODD = "/Users/ada & bob <ops> 'q'";

describe('the launchd agent', () => {
  it('has only launchd.plist(5) keys, each of its type, and runs the launcher under its label', () => {
    const text = launchdPlist('/Users/ada');
    expect(launchdProblems(text)).toEqual([]);
    const doc = plist.parse(text) as Record<string, unknown>;
    expect(doc).toMatchObject({
      Label: LAUNCHD_LABEL,
      ProgramArguments: [`/Users/ada/${AGENT_LAUNCHER}`, 'node', 'serve'],
      RunAtLoad: true,
      // a crash or a kill brings it back; `agency node stop` (a clean exit) does not
      KeepAlive: { SuccessfulExit: false },
      ProcessType: 'Standard',
      WorkingDirectory: '/Users/ada',
      StandardOutPath: `/Users/ada/${NODE_LOG}`,
      StandardErrorPath: `/Users/ada/${NODE_LOG}`,
    });
    expect((doc.EnvironmentVariables as Record<string, string>).PATH).toMatch(/(^|:)\/opt\/homebrew\/bin(:|$)/);
  });

  it('the check refuses an unknown key, a wrong type and a ProcessType launchd does not know', () => {
    const good = launchdPlist('/Users/ada');
    const swap = (from: string, to: string) => good.replace(from, to);
    expect(launchdProblems(swap('<key>RunAtLoad</key><true/>', '<key>RunAtLoad</key><string>yes</string>'))).toEqual([
      'RunAtLoad: wrong type ("yes")',
    ]);
    expect(launchdProblems(swap('<key>RunAtLoad</key>', '<key>RunAtBoot</key>'))).toEqual([
      'RunAtBoot: not a key of launchd.plist(5)',
    ]);
    expect(launchdProblems(swap('<string>Standard</string>', '<string>Normal</string>'))).toEqual([
      'ProcessType: wrong type ("Normal")',
    ]);
    expect(launchdProblems(swap('<key>SuccessfulExit</key>', '<key>OnCrash</key>'))).toEqual([
      'KeepAlive: wrong type ({"OnCrash":false})',
    ]);
    expect(
      launchdProblems(swap('<string>serve</string>', '<integer>1</integer>')).map((p) => p.split(' (')[0]),
    ).toEqual(['ProgramArguments: wrong type']);
  });

  it('escapes &, < and > in paths, keeps spaces and quotes, and parses back to the same paths', () => {
    const text = launchdPlist(ODD);
    expect(text).toContain('ada &amp; bob &lt;ops&gt;');
    expect(launchdProblems(text)).toEqual([]);
    const doc = plist.parse(text) as Record<string, unknown>;
    expect(doc.ProgramArguments).toEqual([`${ODD}/${AGENT_LAUNCHER}`, 'node', 'serve']);
    expect(doc.WorkingDirectory).toBe(ODD);
    expect(doc.StandardErrorPath).toBe(`${ODD}/${NODE_LOG}`);
  });
});

describe('the systemd unit', () => {
  it('runs the launcher from the home, restarts only after a failure and leaves its sessions to the daemon', () => {
    const unit = systemdUnit();
    const service = unit.split('[Service]')[1]!.split('[Install]')[0]!;
    const keys = Object.fromEntries(
      service
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => l.split(/=(.*)/s, 2) as [string, string]),
    );
    expect(keys).toMatchObject({
      ExecStart: `/bin/sh -c 'exec "$$HOME/${AGENT_LAUNCHER}" node serve >> "$$HOME/${NODE_LOG}" 2>&1'`,
      WorkingDirectory: '%h',
      Restart: 'on-failure',
      KillMode: 'mixed',
    });
    // nothing systemd 239 (EL8) ignores: the shell sends the output to node.log
    expect(keys).not.toHaveProperty('Type');
    expect(keys).not.toHaveProperty('StandardOutput');
    // no Node of the node's PATH: the launcher picks it
    expect(unit).not.toMatch(/command -v|\bnode\s+\S*agency/);
    expect(unit).toMatch(/\[Install\]\nWantedBy=default\.target\n/);
  });
});

/** Runs a service script with sh in a bare environment: HOME and a PATH of the test's choosing. */
function runScript(script: string, home: string, path: string, shell = '/bin/sh') {
  return spawnSync(shell, ['-c', script], {
    env: { HOME: home, PATH: path },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

/** A folder with the tools a service script uses, and no systemctl, launchctl, loginctl or node. */
function bareTools(): string {
  const dir = tempDir('ag-svt-');
  defer(() => dir.remove());
  for (const t of ['mkdir', 'cat', 'mv', 'id', 'sleep', 'tail', 'chmod', 'printf', 'kill', 'nohup', 'ps', 'cut'])
    symlinkSync(
      spawnSync('/bin/sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim() || `/bin/${t}`,
      join(dir.path, t),
    );
  return dir.path;
}

/** A home whose name needs quoting, with an agent launcher in it that says what it was asked. */
function oddHome(): string {
  const dir = tempDir('ag-svc-');
  defer(() => dir.remove());
  const home = join(dir.path, "ada & bob <ops> 'q'");
  mkdirSync(join(home, '.agency/agent'), { recursive: true });
  // `node serve` listens on the daemon's socket for a moment, as a daemon would
  const serve = `require('net').createServer().listen(process.env.HOME + '/.agency/run/node.sock').unref(); setTimeout(() => {}, 3000)`;
  writeFileSync(
    join(home, AGENT_LAUNCHER),
    `#!/bin/sh\necho "$@" >> "$HOME/launched"\n[ "$2" != serve ] || { mkdir -p "$HOME/.agency/run"; exec ${JSON.stringify(process.execPath)} -e "${serve}"; }\n`,
  );
  chmodSync(join(home, AGENT_LAUNCHER), 0o755);
  return home;
}

describe('the script that installs the service', () => {
  it('on Linux writes the unit as systemdUnit() and, with no systemctl, fails saying so, having started nothing', () => {
    const home = oddHome();
    const r = runScript(serviceScript('linux-x64', home), home, bareTools());
    expect(r.status).toBe(5);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/this node has no systemd \(systemctl is not on the PATH\)/);
    expect(readFileSync(join(home, '.config/systemd/user', SYSTEMD_UNIT), 'utf8')).toBe(systemdUnit());
    expect(() => readFileSync(join(home, 'launched'))).toThrow();
  });

  it('on macOS writes the plist as launchdPlist(home) and, with no launchctl, fails naming the bootstrap and starts the daemon again', () => {
    const home = oddHome();
    const r = runScript(serviceScript('darwin-arm64', home), home, bareTools());
    expect(r.status).toBe(5);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^launchctl bootstrap gui\/\d+ failed \(.*\): the user must be logged in.*; the daemon was started again without the service$/,
    );
    const written = readFileSync(join(home, 'Library/LaunchAgents', `${LAUNCHD_LABEL}.plist`), 'utf8');
    expect(written).toBe(launchdPlist(home));
    expect((plist.parse(written) as Record<string, unknown>).WorkingDirectory).toBe(home);
    // the daemon that ran without the service was asked to stop, and started again when launchd could not
    expect(readFileSync(join(home, 'launched'), 'utf8')).toBe('node stop\nnode serve\n');
  });

  it('fails clearly when there is no launcher (push writes it first)', () => {
    const dir = tempDir('ag-svc-');
    defer(() => dir.remove());
    const r = runScript(serviceScript('linux-x64', dir.path), dir.path, bareTools());
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/the agent has no launcher: run agency push again/);
  });

  it('on macOS tries bootstrap again while launchd still holds the label from the bootout', () => {
    const home = oddHome();
    const bin = fakeTool(
      'launchctl',
      // the first two bootstraps fail as they do right after a bootout; the third loads the job, which starts
      `case "$1" in bootstrap) n=$(cat "$HOME/tries" 2>/dev/null || echo 0); echo $((n+1)) > "$HOME/tries"
        [ "$n" -ge 2 ] || { echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; }
        (nohup "$HOME/${AGENT_LAUNCHER}" node serve >/dev/null 2>&1 </dev/null &);; esac`,
    );
    const r = runScript(serviceScript('darwin-arm64', home), home, `${bin}:${bareTools()}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('service=launchd');
    expect(readFileSync(join(home, 'tries'), 'utf8').trim()).toBe('3');
    expect(readFileSync(join(home, 'launched'), 'utf8')).toBe('node stop\nnode serve\n');
  });

  it('on Linux starts the daemon again through the launcher when systemd will not, and says so', () => {
    const home = oddHome();
    const bin = fakeTool(
      'systemctl',
      `case "$2" in restart) echo "Job for ${SYSTEMD_UNIT} failed." >&2; exit 1;; esac`,
    );
    // under bash, as a login shell over SSH may be: the daemon started in the background holds no output open
    const r = runScript(serviceScript('linux-x64', home), home, `${bin}:${bareTools()}`, '/bin/bash');
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(5);
    expect(r.stderr.trim().split('\n').pop()).toBe(
      `systemctl could not start ${SYSTEMD_UNIT} (Job for ${SYSTEMD_UNIT} failed.): the daemon was started again without the service`,
    );
    expect(readFileSync(join(home, 'launched'), 'utf8')).toBe('node stop\nnode serve\n');
  });
});

/** A folder with one stand-in tool: a /bin/sh script. */
function fakeTool(name: string, body: string): string {
  const dir = tempDir('ag-svf-');
  defer(() => dir.remove());
  writeFileSync(join(dir.path, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir.path, name), 0o755);
  return dir.path;
}
