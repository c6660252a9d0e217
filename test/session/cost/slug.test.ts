import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultConfigDir,
  mainTranscriptPath,
  projectSlug,
  transcriptDir,
  transcriptFiles,
} from '../../../src/session/cost/slug.js';
import { tempDir } from '../../helpers/tmp.js';

// The oracle: Claude Code 2.1.197's own code, copied verbatim from claude-code-facts.md §8 [BIN].
const CLAUDE_CODE_JS =
  'function $E(e){let t=e.replace(/[^a-zA-Z0-9]/g,"-");if(t.length<=200)return t;return`${t.slice(0,200)}-${Math.abs(jCe(e)).toString(36)}`}\n' +
  'function jCe(e){let t=0;for(let n=0;n<e.length;n++)t=(t<<5)-t+e.charCodeAt(n)|0;return t}';
const { $E, jCe } = new Function(`${CLAUDE_CODE_JS}\nreturn { $E, jCe };`)() as {
  $E: (path: string) => string;
  jCe: (path: string) => number;
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

describe('projectSlug', () => {
  it('replaces every non-alphanumeric character with "-", keeping runs and the leading dash', () => {
    expect(projectSlug('/tmp/proj1')).toBe('-tmp-proj1');
    expect(projectSlug('/a/.b')).toBe('-a--b');
    expect(projectSlug('/home/me/my_proj v2.0/src')).toBe('-home-me-my-proj-v2-0-src');
  });

  it.each([
    '/tmp/proj1',
    '/a/.b',
    '/home/me/.config/my_app',
    '/srv/with space/and  two',
    '/x/naïve/café',
    '/emoji/🚀/dir', // a surrogate pair is two code units, so two dashes
    'C:\\Users\\me\\proj',
    '',
    '/' + 'a'.repeat(199), // 200 characters: kept whole
    '/' + 'a'.repeat(200), // 201 characters: cut and hashed
    '/very/long/' + 'segment_with.dots-'.repeat(20),
    '/deep/' + 'x/'.repeat(150) + 'end',
  ])('matches Claude Code for %j', (path) => {
    expect(projectSlug(path)).toBe($E(path));
  });

  it('cuts a slug over 200 characters to 200, then adds "-" and the base-36 hash of the original path', () => {
    const path = '/workspace/' + 'deeply_nested.dir/'.repeat(15);
    const slug = projectSlug(path);
    expect(slug).toBe($E(path));
    expect(slug.slice(0, 200)).toBe(path.replace(/[^a-zA-Z0-9]/g, '-').slice(0, 200));
    expect(slug[200]).toBe('-');
    expect(slug.slice(201)).toMatch(/^[0-9a-z]+$/);
    // two long paths that differ only after character 200 get different folders
    const other = path + 'x';
    expect(projectSlug(other).slice(0, 200)).toBe(slug.slice(0, 200));
    expect(projectSlug(other)).not.toBe(slug);
  });

  it('hashes paths whose 32-bit hash is negative to their absolute value', () => {
    // find one, with the oracle's hash, so the Math.abs branch is exercised
    const candidates = Array.from({ length: 50 }, (_, i) => `/n/${'q'.repeat(200)}/${i}`);
    const path = candidates.find((p) => jCe(p) < 0);
    if (path === undefined) throw new Error('no candidate path has a negative hash');
    expect(projectSlug(path)).toBe($E(path));
  });
});

describe('transcript paths', () => {
  it('puts transcripts under <configDir>/projects/<slug>', () => {
    expect(transcriptDir('/h/.claude', '/tmp/my.proj')).toBe('/h/.claude/projects/-tmp-my-proj');
    expect(mainTranscriptPath('/h/.claude', '/tmp/p', 'abc-123')).toBe('/h/.claude/projects/-tmp-p/abc-123.jsonl');
  });

  it('lists the main transcript and every subagent transcript, but not their .meta.json files', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const configDir = join(tmp.path, '.claude');
    const dir = transcriptDir(configDir, '/tmp/proj1');
    const sub = join(dir, 'sess-1', 'subagents');
    mkdirSync(sub, { recursive: true });
    for (const name of ['agent-b2.jsonl', 'agent-a1.jsonl', 'agent-a1.meta.json', 'notes.txt'])
      writeFileSync(join(sub, name), '');
    mkdirSync(join(dir, 'sess-1', 'tool-results'));
    writeFileSync(join(dir, 'sess-1', 'tool-results', 'agent-x.jsonl'), '');
    writeFileSync(join(dir, 'other-session.jsonl'), '');

    expect(await transcriptFiles(configDir, '/tmp/proj1', 'sess-1')).toEqual([
      join(dir, 'sess-1.jsonl'),
      join(sub, 'agent-a1.jsonl'),
      join(sub, 'agent-b2.jsonl'),
    ]);
  });

  it('lists only the main transcript path when nothing was written yet', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    expect(await transcriptFiles(tmp.path, '/nowhere', 'sess-2')).toEqual([
      join(tmp.path, 'projects', '-nowhere', 'sess-2.jsonl'),
    ]);
  });

  it.each(['../../etc/passwd', 'a/b', '', '.', '..', 'x\0y'])(
    'refuses the session id %j, which could leave the folder',
    async (id) => {
      await expect(transcriptFiles('/h', '/p', id)).rejects.toThrow(/invalid session id/);
    },
  );

  it('uses $CLAUDE_CONFIG_DIR, else ~/.claude', () => {
    expect(defaultConfigDir({ CLAUDE_CONFIG_DIR: '/cfg' }, '/home/u')).toBe('/cfg');
    expect(defaultConfigDir({}, '/home/u')).toBe('/home/u/.claude');
    expect(defaultConfigDir({ CLAUDE_CONFIG_DIR: '' }, '/home/u')).toBe('/home/u/.claude');
  });
});
