/**
 * What the node records in its audit trail, from the session table's events and the ops that change it:
 * each run and the context compiled for it, each decision asked and answered (and by whom), pauses and
 * resumes a budget made, the operator's pause, resume and stop, the organisation and settings the node was
 * given, and each start of the node (a `push` when its build changed since the last one).
 *
 * Text goes to the trail whole: the trail blanks the secrets in it first and cuts it after (a cut made here
 * first could split a secret, leaving a part no pattern knows).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditSink } from '../audit/sink.js';
import type { NodeSettings } from '../protocol/economics.js';
import {
  isLive,
  type Decision,
  type NodeEvent,
  type NodeInfo,
  type OpArgs,
  type SessionSummary,
} from '../protocol/messages.js';
import type { NodeOrg } from '../protocol/org.js';
import { writeFileAtomic } from './atomic-file.js';
import { ContextCopy } from './context-copy.js';
import { sessionDir } from './ids.js';

export interface SessionTable {
  onEvent(f: (e: NodeEvent) => void): () => void;
  snapshot(): { sessions: SessionSummary[]; decisions: Decision[] };
}

/** The compiled context the node keeps a copy of: its files, and one hash over all of them. */
function compiledContext(sessions: string, id: string): { files: string[]; hash: string } | null {
  try {
    const manifest = new ContextCopy(join(sessionDir(sessions, id), 'context')).load();
    if (!manifest) return null;
    const entries = Object.entries(manifest.entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const hash = createHash('sha256').update(JSON.stringify(entries)).digest('hex');
    return { files: entries.map(([rel]) => rel), hash };
  } catch {
    return null;
  }
}

function recordRun(sink: AuditSink, s: SessionSummary, sessions: string): void {
  sink.append({
    kind: 'run',
    by: 'operator',
    session: s.id,
    summary: `run ${s.discipline}${s.vp ? ` for ${s.vp}` : ''}: ${s.task}`,
    detail: {
      discipline: s.discipline,
      vp: s.vp ?? null,
      repo: s.origin ?? s.repo,
      branch: s.branch,
      model: s.model,
      task: s.task,
    },
  });
  const ctx = compiledContext(sessions, s.id);
  sink.append({
    kind: 'compile',
    by: 'node',
    session: s.id,
    summary: ctx
      ? `compiled ${s.discipline}: ${ctx.files.length} files, context sha256 ${ctx.hash.slice(0, 16)}`
      : `compiled ${s.discipline}: the node has no copy of what it wrote`,
    detail: { discipline: s.discipline, worktree: s.worktree, files: ctx?.files ?? [], context: ctx?.hash ?? null },
  });
}

const ASKED_BY: Record<Decision['source'], string> = {
  hook: 'session',
  screen: 'session',
  merge: 'node',
  budget: 'node',
};

function recordDecision(sink: AuditSink, d: Decision): void {
  const call = `${d.tool} ${d.summary}`;
  const detail = { decision: d.id, source: d.source, tool: d.tool, call: d.summary };
  if (d.state === 'open') {
    sink.append({
      kind: 'decision-asked',
      by: ASKED_BY[d.source],
      session: d.session,
      summary: `asked: ${call}`,
      detail,
    });
    return;
  }
  sink.append({
    kind: 'decision-answered',
    by: d.by ?? 'operator',
    session: d.session,
    summary: `${d.state}: ${call}${d.reason ? ` (${d.reason})` : ''}`,
    detail: { ...detail, state: d.state, reason: d.reason },
  });
}

/**
 * Records from the session table's events: runs (with what was compiled), decisions, and the pauses and
 * resumes of a budget. Sessions and decisions the table had before (a restart) are not recorded again.
 */
export function auditTable(table: SessionTable, sink: AuditSink, sessionsDir: string): () => void {
  const snap = table.snapshot();
  const seen = new Map<string, Pick<SessionSummary, 'state' | 'held'>>();
  for (const s of snap.sessions) seen.set(s.id, { state: s.state, held: s.held ?? null });
  const openAsked = new Set(snap.decisions.filter((d) => d.state === 'open').map((d) => d.id));
  return table.onEvent((e) => {
    if (e.kind === 'decision') {
      const d = e.decision;
      if (d.state === 'open') {
        if (openAsked.has(d.id)) return;
        openAsked.add(d.id);
      } else openAsked.delete(d.id);
      recordDecision(sink, d);
    } else if (e.kind === 'session') {
      const s = e.session;
      const before = seen.get(s.id);
      seen.set(s.id, { state: s.state, held: s.held ?? null });
      if (!before) return recordRun(sink, s, sessionsDir);
      // the operator's own pause and resume are recorded by their ops; these are the node's, for a budget
      if (s.state === 'paused' && before.state !== 'paused' && s.held === 'budget')
        sink.append({ kind: 'pause', by: 'node', session: s.id, summary: 'paused: its budget ran out', detail: {} });
      else if (before.state === 'paused' && before.held === 'budget' && s.state !== 'paused' && isLive(s))
        sink.append({
          kind: 'resume',
          by: 'node',
          session: s.id,
          summary: 'resumed: its budget was extended',
          detail: {},
        });
    } else if (e.kind === 'removed') seen.delete(e.session);
  });
}

/** A pause, resume or stop, with who asked for it: the operator (through the op) or the node. */
export function recordControl(
  sink: AuditSink,
  kind: 'pause' | 'resume' | 'stop',
  s: Pick<SessionSummary, 'id' | 'state'>,
  by: string,
): void {
  const did = { pause: 'paused', resume: 'resumed', stop: 'stopped' }[kind];
  sink.append({ kind, by, session: s.id, summary: `${did} by ${by}`, detail: { state: s.state } });
}

export function recordOrg(sink: AuditSink, args: OpArgs['org-apply'], org: NodeOrg): void {
  const hash = createHash('sha256');
  for (const f of [...args.files].sort((a, b) => (a.path < b.path ? -1 : 1))) hash.update(`${f.path}\0${f.text}\0`);
  const digest = hash.digest('hex');
  sink.append({
    kind: 'org',
    by: 'operator',
    summary: `organisation ${org.name} applied: ${org.vps.length} VP${org.vps.length === 1 ? '' : 's'}, ${args.files.length} files (sha256 ${digest.slice(0, 16)})`,
    detail: { org: org.id, name: org.name, vps: org.vps.map((v) => v.id), files: args.files.length, sha256: digest },
  });
}

export function recordSettings(sink: AuditSink, s: NodeSettings, hash: string): void {
  const parts = (['budgets', 'rates', 'models'] as const).filter((k) => s[k] !== undefined);
  sink.append({
    kind: 'settings',
    by: 'operator',
    summary: `settings applied: ${parts.length ? parts.join(', ') : 'none'} (${hash.slice(0, 16)})`,
    detail: { settings: s, hash },
  });
}

/**
 * The node's start: `push` when it runs a build other than the one that ran before (kept in the trail's
 * folder), else `node-start`; what the start found wrong with the trail is named in it.
 */
export function recordStart(sink: AuditSink, auditDir: string, info: NodeInfo, damage: readonly string[]): void {
  const file = join(auditDir, 'build');
  const before = existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
  const pushed = before !== null && before !== info.build;
  const short = (b: string) => (b.length > 12 ? b.slice(0, 12) : b);
  const said = pushed
    ? `started on a new build ${short(info.build)} (was ${short(before)})`
    : `started (build ${short(info.build)}, agent ${info.agentVersion})`;
  sink.append({
    kind: pushed ? 'push' : 'node-start',
    by: 'node',
    summary: `${said}${damage.length ? `; the audit trail was found damaged: ${damage[0]}` : ''}`,
    detail: {
      build: info.build,
      previous: before,
      agentVersion: info.agentVersion,
      pid: info.pid,
      host: info.host,
      ...(damage.length ? { damage } : {}),
    },
  });
  writeFileAtomic(file, `${info.build}\n`);
}
