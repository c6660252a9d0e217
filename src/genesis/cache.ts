/**
 * Answers already validated, kept under $XDG_CACHE_HOME/agency/genesis/ (else ~/.cache/agency/genesis/), one
 * file per call, keyed by a hash of the phase, the model, the prompt and the schema: an interrupted run
 * resumes where it stopped, and a re-run asks again only what changed. An entry is checked again when read.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AnswerCache {
  get(key: string): unknown;
  put(key: string, value: unknown): void;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(base, 'agency', 'genesis');
}

export function cacheKey(phase: string, model: string, prompt: string, schema: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([phase, model, prompt, schema]))
    .digest('hex');
}

/** A cache in a folder; one that cannot be read or written is treated as empty (a run never fails for it). */
export function fileCache(dir: string): AnswerCache {
  const file = (key: string) => join(dir, `${key}.json`);
  return {
    get(key) {
      try {
        return (JSON.parse(readFileSync(file(key), 'utf8')) as { answer?: unknown }).answer;
      } catch {
        return undefined;
      }
    },
    put(key, value) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${file(key)}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ answer: value }), { mode: 0o600 });
        renameSync(tmp, file(key));
      } catch {
        /* a cache that cannot be written only costs a repeated call */
      }
    },
  };
}
