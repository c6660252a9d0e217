/**
 * Repositories as the operator names them: which are URLs and which paths (git's own rule), which URLs are
 * refused (options, remote helpers that run commands, unknown schemes), and credentials never surviving
 * into what is shown or kept.
 */
import { describe, expect, it } from 'vitest';
import { parseOpArgs } from '../../src/protocol/ops.js';
import {
  isRepoUrl,
  mirrorName,
  MIRROR_NAME,
  parseRepo,
  repoProblem,
  scrubText,
  secretsOf,
  type RepoUrl,
} from '../../src/protocol/repo-url.js';

const url = (s: string) => {
  const r = parseRepo(s);
  if (r.kind !== 'url') throw new Error(`${s} is a path`);
  return r;
};

describe('what a repository reference is', () => {
  it.each([
    ['ssh://git@example.com/org/repo.git', 'ssh'],
    ['git+ssh://example.com/org/repo', 'ssh'],
    ['git@example.com:org/repo.git', 'ssh'],
    ['example.com:repo', 'ssh'],
    ['[::1]:srv/repo.git', 'ssh'],
    ['https://example.com/org/repo', 'https'],
    ['HTTP://example.com/org/repo', 'http'],
    ['git://example.com/repo', 'git'],
    ['file:///srv/git/repo.git', 'file'],
  ])('%s is a %s URL', (s, scheme) => {
    expect(isRepoUrl(s)).toBe(true);
    expect(url(s).scheme).toBe(scheme);
  });

  it.each(['/home/me/repo', 'repo', './a:b', '../x', '/srv/with:colon', '~/repo'])('%s is a path', (s) => {
    expect(isRepoUrl(s)).toBe(false);
    expect(parseRepo(s)).toEqual({ kind: 'path', path: s });
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /remote helper.*ext::/],
    ['fd::17', /remote helper/],
    ['persistent-https::example.com/x', /remote helper/],
    ['-uhttps://example.com/x', /starts with "-"/],
    ['--upload-pack=touch /tmp/x', /starts with "-"/],
    ['ssh://-oProxyCommand=touch%20x/repo', /host or user that starts with "-"/],
    ['-oProxyCommand=x:repo', /starts with "-"/],
    ['me@-oProxyCommand=x:repo', /host or user that starts with "-"/],
    ['s3://bucket/repo', /does not clone "s3:\/\/"/],
    ['ssh:///srv/repo', /names no host/],
    ['https://example.com/', /names no repository/],
    ['file://otherhost/srv/repo', /file:\/\/\/path/],
    ['host:', /names no repository/],
    ['repo\nmore', /control character/],
    ['   ', /empty/],
  ])('refuses %j', (s, why) => {
    expect(repoProblem(s)).toMatch(why);
    // the node refuses it on the wire too, naming the field
    const r = parseOpArgs('run', { task: 't', repo: s });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/^run\.repo: /);
  });

  it('the run op takes a URL, a path, and a base only as a full commit and a branch name', () => {
    expect(parseOpArgs('run', { task: 't', repo: 'https://example.com/r.git' }).ok).toBe(true);
    expect(parseOpArgs('run', { task: 't', repo: '/srv/r' }).ok).toBe(true);
    const base = { commit: 'a'.repeat(40), branch: 'feature/x' };
    expect(parseOpArgs('run', { task: 't', repo: '/srv/r', base }).ok).toBe(true);
    expect(parseOpArgs('run', { task: 't', repo: '/srv/r', base: { ...base, branch: null } }).ok).toBe(true);
    for (const bad of [
      { ...base, commit: 'HEAD' },
      { ...base, commit: `${'a'.repeat(40)} --exec` },
      { ...base, branch: '--force' },
      { ...base, branch: 'a..b' },
      { ...base, branch: 'x y' },
    ])
      expect(parseOpArgs('run', { task: 't', repo: '/srv/r', base: bad }).ok, JSON.stringify(bad)).toBe(false);
    expect(parseOpArgs('mirror', { name: mirrorName('file://h/x') }).ok).toBe(true);
    for (const name of ['../x-0123456789abcdef', 'x', '.git-0123456789abcdef', 'a/b-0123456789abcdef'])
      expect(parseOpArgs('mirror', { name }).ok, name).toBe(false);
  });
});

describe('credentials', () => {
  const TOKEN = 'ghp_S3cr3tT0kenValue';

  it('are taken out of what is shown and kept, and handed to git apart', () => {
    const r = url(`https://x-access-token:${TOKEN}@Example.com:443/org/repo.git`);
    expect(r.safe).toBe('https://example.com/org/repo.git');
    expect(r.normal).toBe('https://example.com/org/repo');
    expect(r.credentials).toEqual({ username: 'x-access-token', password: TOKEN });
    expect(JSON.stringify({ safe: r.safe, normal: r.normal })).not.toContain(TOKEN);
    // a token standing as the user name is a credential too
    const t = url(`https://${TOKEN}@example.com/org/repo`);
    expect(t.safe).toBe('https://example.com/org/repo');
    expect(t.credentials).toEqual({ username: TOKEN, password: '' });
  });

  it('an ssh URL keeps its user, drops a password, and git never gets one', () => {
    const r = url(`ssh://deploy:${TOKEN}@example.com/srv/repo.git`);
    expect(r.safe).toBe('ssh://deploy@example.com/srv/repo.git');
    expect(r.url).not.toContain(TOKEN);
    expect(r.credentials).toBeNull();
  });

  it('refusals never repeat them', () => {
    for (const s of [`s3://u:${TOKEN}@bucket/x`, `https://u:${TOKEN}@/x`, `https://u:${TOKEN}@host/`])
      expect(repoProblem(s)).not.toContain(TOKEN);
  });

  it('are scrubbed from any text: in URLs, and each secret as given, encoded and decoded', () => {
    const tricky = 'p@ss/w%rd';
    const r = url(`https://me:${encodeURIComponent(tricky)}@example.com/r`);
    expect(r.credentials?.password).toBe(tricky);
    const said = [
      `fatal: unable to access 'https://me:${encodeURIComponent(tricky)}@example.com/r/': 403`,
      `remote: password ${tricky} rejected`,
      `ssh://u:${TOKEN}@h/x and git://h/y`,
    ].join('\n');
    const out = scrubText(said, secretsOf(r));
    expect(out).not.toContain(tricky);
    expect(out).not.toContain(encodeURIComponent(tricky));
    expect(out).not.toContain(TOKEN);
    expect(out).toContain("'https://example.com/r/'");
    expect(out).toContain('ssh://u@h/x and git://h/y');
  });
});

describe('normal forms and mirror names', () => {
  it('spellings of one repository share a mirror; other repositories do not', () => {
    const same = [
      'git@Example.com:org/repo.git',
      'ssh://git@example.com/~/org/repo',
      'ssh://git@example.com:22/~/org/repo.git/',
    ].map((s) => (url(s) as RepoUrl).normal);
    expect(new Set(same).size).toBe(1);
    expect(url('https://a:b@example.com/org/repo.git').normal).toBe(url('https://example.com/org/repo').normal);
    const names = [
      'git@example.com:org/repo.git',
      'git@example.com:/org/repo.git',
      'ssh://git@example.com:2222/~/org/repo',
      'https://example.com/org/repo',
      'https://example.com/other/repo',
      'file:///srv/repo.git',
      'file:///srv/repo',
    ].map((s) => mirrorName(url(s).normal));
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(MIRROR_NAME);
    expect(names[0]).toMatch(/^repo-[0-9a-f]{16}$/);
    expect(mirrorName('https://h/../..')).toMatch(MIRROR_NAME);
  });
});
