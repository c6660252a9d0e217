/**
 * `agency diff`, `log`, `open`, `merge`, `pr`, `rm`, `gc`: getting a session's work back. The node the session
 * is on does the git work; what comes back (paths, commit subjects, a patch written by a session) is data
 * from elsewhere and is made safe before it reaches the terminal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Cockpit } from '../cockpit/client.js';
import { loadConfig } from '../config/config.js';
import {
  DIFF_STATUS_LETTER,
  type DiffFile,
  type DiffResult,
  type RemoveResult,
  type SessionSummary,
} from '../protocol/messages.js';
import { safeLine } from '../terminal/index.js';
import { EXIT, printable, printJson, say, UserError, warn } from './output.js';
import { nodesOf, withCockpit } from './with-cockpit.js';

type Json = { json?: boolean };

/** Runs f with the session a reference names (`s-abc`, `node/s-abc`), on its node alone when named. */
function onSession<T>(ref: string, f: (c: Cockpit, s: SessionSummary) => Promise<T>): Promise<T> {
  return withCockpit(nodesOf(ref), async (c) => f(c, await c.findSession(ref)));
}

const short = (sha: string) => sha.slice(0, 12);
/** A word for a shell command line: as it is when nothing in it is special, else single-quoted. */
const word = (s: string) => (/^[A-Za-z0-9_/.,:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The stat of a diff: one line a file, then the totals. */
export function statText(d: DiffResult, branch: string): string[] {
  // a file's name is shown with what is unsafe in it escaped, so that two names never look the same
  const name = (f: DiffFile) => printable(f.from !== undefined ? `${f.from} → ${f.path}` : f.path);
  const width = Math.min(60, Math.max(0, ...d.files.map((f) => name(f).length)));
  const lines = d.files.map((f) => {
    const counts = f.added === null ? 'binary' : `+${f.added} -${f.removed}`;
    return `  ${DIFF_STATUS_LETTER[f.status]}  ${name(f).padEnd(width)}  ${counts}`;
  });
  const added = d.files.reduce((n, f) => n + (f.added ?? 0), 0);
  const removed = d.files.reduce((n, f) => n + (f.removed ?? 0), 0);
  const n = d.files.length;
  return [
    `${branch}: ${n === 0 ? 'no changes' : `${n} file${n === 1 ? '' : 's'} changed, +${added} -${removed}`} since ${short(d.from)}`,
    ...lines,
  ];
}

export async function diff(session: string, o: Json & { stat?: boolean }): Promise<void> {
  const { s, d } = await onSession(session, async (c, s) => ({
    s,
    d: await c.requestOn(s.node, 'diff', { session: s.id, ...(o.stat ? { stat: true } : {}) }),
  }));
  if (o.json) return printJson(d);
  const out = statText(d, s.branch);
  if (d.dirty)
    out.push(`(the worktree also has changes not committed; they are not in this diff: agency open ${s.id})`);
  if (d.patch) out.push('', ...d.patch.replace(/\n$/, '').split('\n').map(safeLine));
  if (d.truncated)
    out.push(
      '',
      `(the patch was cut here; all of it: git -C ${word(safeLine(s.repo))} diff ${short(d.from)} ${short(d.to)})`,
    );
  say(out.join('\n'));
}

export async function log(session: string, o: Json): Promise<void> {
  const l = await onSession(session, (c, s) => c.requestOn(s.node, 'log', { session: s.id }));
  if (o.json) return printJson(l);
  if (l.commits.length === 0) return say(`${l.branch} has no commits of its own`);
  const lines = l.commits.map(
    (x) =>
      `${x.sha.slice(0, 10)}  ${x.date.slice(0, 10)}  ${safeLine(x.author).slice(0, 20).padEnd(20)}  ${safeLine(x.subject)}`,
  );
  if (l.truncated) lines.push(`(older commits not listed)`);
  say(lines.join('\n'));
}

/** How to reach a session's worktree on a remote node: ssh to it, a shell in the folder. */
export function sshCommand(node: string, worktree: string): string | null {
  const n = loadConfig().nodes.find((x) => x.name === node);
  if (!n || n.local) return null;
  const target = n.ssh
    ? [word(n.ssh)]
    : [
        ...(n.port ? ['-p', String(n.port)] : []),
        ...(n.identityFile ? ['-i', word(n.identityFile)] : []),
        word(n.user ? `${n.user}@${n.host}` : n.host!),
      ];
  const remote = `cd ${word(worktree)} && exec "\${SHELL:-/bin/sh}" -l`;
  return ['ssh', '-t', ...target, word(remote)].join(' ');
}

export async function open(session: string, o: Json & { editor?: boolean }): Promise<void> {
  const { s, local } = await onSession(session, async (c, s) => ({
    s,
    local: c.link(s.node).status().transport === 'local',
  }));
  const editor = process.env.VISUAL || process.env.EDITOR || null;
  const shell = process.env.SHELL || '/bin/sh';
  const command = local ? (o.editor ? `${editor ?? '$EDITOR'} .` : shell) : sshCommand(s.node, s.worktree);
  if (o.json) return printJson({ session: s.id, node: s.node, local, worktree: s.worktree, branch: s.branch, command });
  if (!local) {
    say(safeLine(s.worktree));
    if (command) say(command);
    else warn(`node ${s.node} is not in the configuration; log in to it and cd to the folder above`);
    return;
  }
  if (!existsSync(s.worktree))
    throw new UserError(`the worktree of ${s.id}, ${s.worktree}, is gone (agency log ${s.id} still shows its commits)`);
  if (o.editor && !editor)
    throw new UserError('set $EDITOR (or $VISUAL) to open the worktree in an editor', EXIT.usage);
  warn(`${o.editor ? editor : shell} in ${s.worktree} (branch ${s.branch})${o.editor ? '' : '; exit to come back'}`);
  // an editor named with its options ("code -w") is run as git runs it: by the shell, with the folder as its argument
  const r = o.editor
    ? spawnSync('/bin/sh', ['-c', `${editor} "$@"`, editor!, '.'], { cwd: s.worktree, stdio: 'inherit' })
    : spawnSync(shell, [], { cwd: s.worktree, stdio: 'inherit' });
  if (r.error) throw new UserError(`could not start ${o.editor ? editor : shell}: ${r.error.message}`);
  process.exitCode = r.status ?? EXIT.failure;
}

export async function merge(session: string, o: Json & { into?: string }): Promise<void> {
  const m = await onSession(session, (c, s) =>
    c.requestOn(s.node, 'merge', { session: s.id, ...(o.into ? { into: o.into } : {}) }),
  );
  if (o.json) return printJson(m);
  if (m.alreadyMerged) return say(`${m.into} already has every commit of ${m.session}'s branch: nothing to merge`);
  say(
    `merged ${m.session} into ${m.into} in ${safeLine(m.repo)}${m.fastForward ? ' (fast-forward)' : ''}: ${m.files} file${m.files === 1 ? '' : 's'} changed, ${m.into} is at ${short(m.commit)}`,
  );
  say(`next: agency rm ${m.session}`);
}

export async function pr(session: string, o: Json): Promise<void> {
  const p = await onSession(session, (c, s) => c.requestOn(s.node, 'pr', { session: s.id }));
  if (o.json) return printJson(p);
  say(`pushed ${p.branch} to ${p.remote} (${safeLine(p.remoteUrl)})`);
  if (p.note) warn(safeLine(p.note));
  if (p.url) say(`pull request: ${safeLine(p.url)}`);
  else if (p.compareUrl) say(`open a pull request: ${safeLine(p.compareUrl)}`);
  else say(`the remote has no web address agency knows; open a pull request for ${p.branch} on its host`);
}

function removedText(r: RemoveResult): string {
  const what = [r.worktree ? `worktree ${safeLine(r.worktree)}` : null, r.branch ? `branch ${r.branch}` : null];
  const lines = [`removed ${r.session}${what.some(Boolean) ? `: ${what.filter(Boolean).join(', ')}` : ''}`];
  if (r.recovered) lines.push(`  its work no branch had is kept as ${r.recovered} (git log ${r.recovered})`);
  if (r.setAside) lines.push(`  what the node once set aside from its worktree is in ${safeLine(r.setAside)}`);
  return lines.join('\n');
}

export async function rm(session: string, o: Json & { force?: boolean }): Promise<void> {
  const r = await onSession(session, (c, s) =>
    c.requestOn(s.node, 'rm', { session: s.id, ...(o.force ? { force: true } : {}) }),
  );
  if (o.json) return printJson(r);
  say(removedText(r));
}

export async function gc(o: Json & { force?: boolean }): Promise<void> {
  const results = await withCockpit({}, async (c) => {
    const up = c.links.filter((l) => l.connection() !== null);
    for (const l of c.links)
      if (!up.includes(l)) warn(`node ${l.name} is ${l.status().state}: its sessions were not looked at`);
    return Promise.all(
      up.map(async (l) => ({ node: l.name, ...(await c.requestOn(l.name, 'gc', o.force ? { force: true } : {})) })),
    );
  });
  const removed = results.flatMap((r) => r.removed.map((x) => ({ node: r.node, ...x })));
  const kept = results.flatMap((r) => r.kept.map((x) => ({ node: r.node, ...x })));
  if (o.json) return printJson({ removed, kept });
  for (const r of removed) say(removedText(r));
  for (const k of kept) say(`kept ${k.session}: ${safeLine(k.reason)}`);
  if (removed.length === 0 && kept.length === 0) say('no ended sessions to remove');
}
