/**
 * State read back from disk is checked record by record: corrupt and hostile records are set aside (kept
 * in a file beside the state), the operator is told, and the rest load. Run as the node reads it
 * (loadState), and as a real daemon started on such a state, seen through `agency status`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadState } from '../../src/node/state-file.js';
import { ensureDirs, nodePaths } from '../../src/paths/node-home.js';
import { agency } from '../helpers/agency.js';
import { deferAfterEach } from '../helpers/defer.js';
import { decisionRecord, sessionRecord } from '../helpers/state-records.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

function home() {
  const d = tempDir('ag-state-');
  defer(d.remove);
  const paths = nodePaths(d.path);
  ensureDirs(paths);
  return paths;
}

const write = (path: string, state: unknown) => writeFileSync(path, JSON.stringify(state));

describe('loading the state', () => {
  it('sets aside each record that does not hold, says why, and loads the rest', () => {
    const p = home();
    const ok = sessionRecord(p.home, 's-000001');
    const hostile: [string, unknown][] = [
      [
        'claudeSession: not a UUID "--dangerously-skip-permissions"',
        sessionRecord(p.home, 's-000002', { state: 'idle', claudeSession: '--dangerously-skip-permissions' }),
      ],
      [
        'id: not a session id "../../escape"',
        sessionRecord(p.home, 's-000003', { id: '../../escape', worktree: join(p.worktrees, 'r', '../../escape') }),
      ],
      [
        `worktree: not this session's folder in ${p.worktrees}`,
        sessionRecord(p.home, 's-000004', { worktree: '/tmp/elsewhere/s-000004' }),
      ],
      ['state: Invalid option', sessionRecord(p.home, 's-000005', { state: 'hacked' })],
      ['usage: Invalid input: expected object, received string', sessionRecord(p.home, 's-000006', { usage: 'lots' })],
      ['resumes: Invalid input: expected number, received string', sessionRecord(p.home, 's-000007', { resumes: '1' })],
      [
        'model: not a model name "--dangerously-skip-permissions"',
        sessionRecord(p.home, 's-000008', { model: '--dangerously-skip-permissions' }),
      ],
      ['branch: not agency/s-000009', sessionRecord(p.home, 's-000009', { branch: 'main' })],
      ['repo: not an absolute path in normal form "../../"', sessionRecord(p.home, 's-00000a', { repo: '../../' })],
      ['record: Invalid input: expected object, received number', 42],
      ['a second record of s-000001', { ...ok, task: 'the same id again' }],
    ];
    const badDecisions: [string, unknown][] = [
      ['id: not a decision id "../d"', decisionRecord('s-000001', '../d')],
      ['session: not a session id "x"', decisionRecord('x', 'd-000002')],
      ['state: Invalid option', decisionRecord('s-000001', 'd-000003', { state: 'maybe' })],
    ];
    const good = decisionRecord('s-000001', 'd-000001');
    write(p.state, {
      version: 1,
      sessions: [ok, ...hostile.map(([, r]) => r)],
      decisions: [good, ...badDecisions.map(([, r]) => r)],
    });

    const { state, warnings } = loadState(p.state, p);
    expect(state.sessions).toEqual([ok]);
    expect(state.decisions).toEqual([good]);
    const aside = readdirSync(p.home).filter((n) => n.startsWith('state.set-aside-'));
    expect(aside).toHaveLength(1);
    const file = join(p.home, aside[0]!);
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    expect(kept.records.map((r: { record: unknown }) => r.record)).toEqual([
      ...hostile.map(([, r]) => r),
      ...badDecisions.map(([, r]) => r),
    ]);
    const problems = kept.records.map((r: { problem: string }) => r.problem);
    for (const [i, [problem]] of [...hostile, ...badDecisions].entries()) expect(problems[i]).toContain(problem);
    // five are named one by one, the rest counted, all pointing at the file that keeps them
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toBe(
      `${p.state}: set aside a session record (claudeSession: not a UUID "--dangerously-skip-permissions"); it is kept in ${file} and was not loaded`,
    );
    expect(warnings[5]).toBe(`${p.state}: set aside 9 more records; they are kept in ${file}`);
  });

  it('moves a state file that is not JSON aside and starts empty, saying so', () => {
    const p = home();
    writeFileSync(p.state, '{"version": 1, "sessions": [');
    const { state, warnings } = loadState(p.state, p);
    expect(state).toEqual({ version: 1, sessions: [], decisions: [] });
    expect(existsSync(p.state)).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`^${p.state} could not be read \\(.*\\); it was moved to ${p.state}\\.unreadable-\\d+`),
    );
  });

  it('loads a clean state with no warning and writes no side file', () => {
    const p = home();
    write(p.state, { version: 1, sessions: [sessionRecord(p.home)], decisions: [decisionRecord()] });
    expect(loadState(p.state, p).warnings).toEqual([]);
    expect(readdirSync(p.home).filter((n) => n.startsWith('state.set-aside-'))).toEqual([]);
  });
});

describe('a node started on a hostile state', () => {
  it('starts, sets the records aside, says so in status (text and JSON), and creates nothing outside its home', () => {
    const p = home();
    // names no other test uses, so that finding them anywhere means this node made them
    const tag = randomBytes(4).toString('hex');
    const escape = `../../escape-${tag}`;
    const outside = join(dirname(p.home), `outside-${tag}`);
    write(p.state, {
      version: 1,
      sessions: [
        sessionRecord(p.home, 's-000001'),
        sessionRecord(p.home, 's-000002', { state: 'idle', claudeSession: '--dangerously-skip-permissions' }),
        sessionRecord(p.home, 's-000003', { id: escape, state: 'working', worktree: join(p.worktrees, 'r', escape) }),
        sessionRecord(p.home, 's-000004', { state: 'idle', worktree: join(outside, 's-000004') }),
      ],
      decisions: [decisionRecord('s-000001', 'd-000001', { state: 'approved' })],
    });
    const env = { ...process.env, AGENCY_HOME: p.home, AGENCY_CLAUDE_BIN: '/nonexistent/claude' };
    defer(() => agency(['node', 'stop'], { env }));

    const json = agency(['status', '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    const snap = JSON.parse(json.stdout);
    expect(snap.sessions.map((s: { id: string }) => s.id)).toEqual(['s-000001']);
    const warnings: string[] = snap.nodes[0].info.warnings;
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain(
      'set aside a session record (claudeSession: not a UUID "--dangerously-skip-permissions")',
    );
    expect(warnings[1]).toContain(`set aside a session record (id: not a session id "${escape}"`);
    expect(warnings[2]).toContain(
      `set aside a session record (worktree: not this session's folder in ${p.worktrees} "${join(outside, 's-000004')}")`,
    );

    const text = agency(['status'], { env });
    expect(text.code).toBe(0);
    for (const w of warnings) expect(text.stdout).toContain(`  warning: ${w}`);

    // the node writes back what it loaded: the records set aside are in their own file only
    expect(JSON.parse(readFileSync(p.state, 'utf8')).sessions.map((s: { id: string }) => s.id)).toEqual(['s-000001']);
    expect(readdirSync(p.sessions)).toEqual(['s-000001']);
    expect(existsSync(join(p.sessions, escape))).toBe(false);
    expect(readdirSync(dirname(p.home)).filter((n) => n.includes(tag))).toEqual([]);
    expect(existsSync(outside)).toBe(false);
  });
});
