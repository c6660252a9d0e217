/**
 * Where Claude Code 2.1.197 keeps a session's transcripts: `<configDir>/projects/<slug>/<sessionId>.jsonl`
 * plus one `<sessionId>/subagents/agent-<agentId>.jsonl` per subagent (claude-code-facts.md §8).
 */
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Slugs longer than this are cut and given a hash suffix. */
export const MAX_SLUG_LENGTH = 200;

/** The 32-bit string hash Claude Code uses for long slugs (Java's String.hashCode over UTF-16 code units). */
export function slugHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = ((h << 5) - h + text.charCodeAt(i)) | 0;
  return h;
}

/**
 * The project-folder name for a working directory, exactly as Claude Code 2.1.197 computes it: every
 * UTF-16 code unit that is not an ASCII letter or digit becomes `-` (runs are kept, so `/a/.b` gives
 * `-a--b`); a result over 200 characters is cut to 200, then `-` and the base-36 absolute hash of the
 * original path are appended. Pass the path as Claude Code saw it (its canonical cwd): the slug is lossy
 * and does not resolve symbolic links.
 */
export function projectSlug(cwd: string): string {
  const slug = cwd.replace(/[^a-zA-Z0-9]/g, '-');
  if (slug.length <= MAX_SLUG_LENGTH) return slug;
  return `${slug.slice(0, MAX_SLUG_LENGTH)}-${Math.abs(slugHash(cwd)).toString(36)}`;
}

/** `$CLAUDE_CONFIG_DIR`, or `~/.claude` when it is unset or empty. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const dir = env.CLAUDE_CONFIG_DIR;
  return dir ? dir : join(home, '.claude');
}

/** The folder holding every transcript of sessions started in `cwd`. */
export function transcriptDir(configDir: string, cwd: string): string {
  return join(configDir, 'projects', projectSlug(cwd));
}

/** A session id names files, so it must not be able to point outside the transcript folder. */
export function checkSessionId(sessionId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(sessionId)) {
    throw new Error(
      `invalid session id ${JSON.stringify(sessionId)}: expected a Claude Code session id such as a UUID ` +
        '(letters, digits, ".", "_" and "-" only)',
    );
  }
}

/** The main transcript of a session (it may not exist yet). */
export function mainTranscriptPath(configDir: string, cwd: string, sessionId: string): string {
  checkSessionId(sessionId);
  return join(transcriptDir(configDir, cwd), `${sessionId}.jsonl`);
}

/** The folder of a session's subagent transcripts. */
export function subagentDir(configDir: string, cwd: string, sessionId: string): string {
  checkSessionId(sessionId);
  return join(transcriptDir(configDir, cwd), sessionId, 'subagents');
}

/** Lists a folder's entry names; a missing folder is empty. */
export type ListDir = (dir: string) => Promise<string[]>;

export const listDirOrEmpty: ListDir = async (dir) => {
  try {
    return await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
};

/** `agent-<id>.jsonl` (not the `agent-<id>.meta.json` written next to it). */
export const isSubagentTranscript = (name: string): boolean => name.startsWith('agent-') && name.endsWith('.jsonl');

/**
 * Every transcript file of a session: the main file first (listed even before it exists), then each
 * subagent transcript present now, sorted by name.
 */
export async function transcriptFiles(
  configDir: string,
  cwd: string,
  sessionId: string,
  list: ListDir = listDirOrEmpty,
): Promise<string[]> {
  const main = mainTranscriptPath(configDir, cwd, sessionId);
  const dir = subagentDir(configDir, cwd, sessionId);
  const subagents = (await list(dir)).filter(isSubagentTranscript).sort();
  return [main, ...subagents.map((name) => join(dir, name))];
}
