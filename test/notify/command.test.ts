/**
 * The operator's notify command, run for real through /bin/sh: the details only in its environment (never a
 * secret there), killed with all it started at the timeout, a few at a time, and a failure said once.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotifyCommand } from '../../src/notify/command.js';
import { decisionNotice } from '../../src/notify/notice.js';
import { processAlive } from '../../src/paths/fs-facts.js';
import { decision } from '../cockpit/fixtures.js';
import { until } from '../helpers/until.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'agency-notify-'));
  dirs.push(d);
  return d;
};

const notice = decisionNotice(decision('studio-01', 'd-7', 's-abc', { summary: 'rm -rf "$HOME" `id`; $(id)' }));

describe('the notify command', () => {
  it('gets the notice in its environment only, and no secret of ours', async () => {
    const d = tmp();
    const reports: string[] = [];
    const c = new NotifyCommand(`env > ${join(d, 'env')}; printf '%s' "$#" > ${join(d, 'args')}`, {
      env: {
        PATH: process.env.PATH,
        HOME: d,
        ANTHROPIC_API_KEY: 'sk-ant-secret',
        SLACK_BOT_TOKEN: 'xoxb-secret',
        AGENCY_NOTIFY_TEXT: 'stale',
      },
      report: (m) => reports.push(m),
    });
    c.run(notice);
    await c.settled();
    expect(reports).toEqual([]);
    const env = Object.fromEntries(
      readFileSync(join(d, 'env'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      AGENCY_NOTIFY_KIND: 'decision',
      AGENCY_NOTIFY_NODE: 'studio-01',
      AGENCY_NOTIFY_SESSION: 's-abc',
      AGENCY_NOTIFY_DECISION: 'd-7',
      AGENCY_NOTIFY_TITLE: 'agency: s-abc on studio-01 needs you',
      AGENCY_NOTIFY_TEXT: 'Bash: rm -rf "$HOME" `id`; $(id)',
      AGENCY_NOTIFY_COUNT: '1',
    });
    expect(JSON.stringify(env)).not.toContain('secret');
    // the shell got the command alone: no arguments, and the text was not run
    expect(readFileSync(join(d, 'args'), 'utf8')).toBe('0');
  });

  it('kills the command and what it started at the timeout, and says so once', async () => {
    const d = tmp();
    const reports: string[] = [];
    const c = new NotifyCommand(`sleep 30 & echo $! > ${join(d, 'child')}; wait`, {
      timeoutMs: 300,
      report: (m) => reports.push(m),
    });
    const started = Date.now();
    c.run(notice);
    await until('the child started', () => readdirSync(d).includes('child'), 5000);
    const child = Number(readFileSync(join(d, 'child'), 'utf8'));
    await c.settled();
    expect(Date.now() - started).toBeLessThan(5000);
    await until('the sleep it started killed too', () => !processAlive(child), 5000);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/the notify command .* failed \(it was still running after 0.3 s and was killed\)/);
  });

  it('a failing command is said once, with what it said, until it works again', async () => {
    const d = tmp();
    const reports: string[] = [];
    const c = new NotifyCommand(
      `if [ -e ${join(d, 'ok')} ]; then exit 0; fi; echo "no webhook configured" >&2; exit 3`,
      { report: (m) => reports.push(m) },
    );
    c.run(notice);
    c.run(notice);
    c.run(notice);
    await c.settled();
    expect(reports).toEqual([
      'the notify command (notify.command in the config) failed (exit 3: no webhook configured); this is said once until it works again',
    ]);
    // it works, then fails again: said again
    writeFileSync(join(d, 'ok'), '');
    c.run(notice);
    await c.settled();
    rmSync(join(d, 'ok'));
    c.run(notice);
    await c.settled();
    expect(reports).toHaveLength(2);
  });

  it('runs at most two at once; more wait, and past the queue are dropped (said once)', async () => {
    const d = tmp();
    const reports: string[] = [];
    const c = new NotifyCommand(
      `n=$(ls ${d} | grep -c run-); touch ${d}/run-$$; [ "$n" -le 1 ] || echo "too many: $n" > ${d}/over; sleep 0.2; rm ${d}/run-$$; echo x >> ${d}/done`,
      { concurrency: 2, queue: 3, report: (m) => reports.push(m) },
    );
    for (let i = 0; i < 8; i++) c.run(notice);
    await c.settled();
    expect(readdirSync(d)).not.toContain('over');
    // never more than two at once (each saw at most one other running); two ran, three waited, three were dropped
    expect(readFileSync(join(d, 'done'), 'utf8').trim().split('\n')).toHaveLength(5);
    expect(reports).toEqual([
      'the notify command (notify.command in the config) is slow: notifications were dropped while too many waited for it',
    ]);
  });
});
