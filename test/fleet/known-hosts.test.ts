// known_hosts parsing and host matching, with OpenSSH's own tools as the oracle: ssh-keygen makes the
// keys, prints the fingerprints (-l), hashes the names (-H) and says which lines match a host (-F).
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  entriesForHost,
  fingerprintSha256,
  hostPortName,
  loadKnownHosts,
  matchPattern,
  parseKnownHosts,
} from '../../src/fleet/known-hosts.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('agency-known-hosts-');
afterAll(() => tmp.remove());

/** A key made by ssh-keygen: its public line's type and base64, and the path of the .pub file. */
interface Key {
  type: string;
  b64: string;
  pub: string;
  blob: Buffer;
}

function keygen(name: string, type: string, bits?: number): Key {
  const path = join(tmp.path, name);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(bits ? ['-b', String(bits)] : []),
    '-f',
    path,
    '-N',
    '',
    '-C',
    `${name}@test`,
  ]);
  const [t, b64] = readFileSync(`${path}.pub`, 'utf8').split(' ');
  return { type: t!, b64: b64!, pub: `${path}.pub`, blob: Buffer.from(b64!, 'base64') };
}

/** The SHA256 fingerprint ssh-keygen prints for a public key file. */
function oracleFingerprint(pubFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' }).split(' ')[1]!;
}

/** The line numbers `ssh-keygen -F name -f file` reports as matching. */
function oracleMatches(name: string, file: string): number[] {
  const r = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
  return [...r.stdout.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
}

function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

let ed: Key, ed2: Key, rsa: Key, ec256: Key, ec384: Key, ec521: Key;
beforeAll(() => {
  ed = keygen('ed', 'ed25519');
  ed2 = keygen('ed2', 'ed25519');
  rsa = keygen('rsa', 'rsa', 2048);
  ec256 = keygen('ec256', 'ecdsa', 256);
  ec384 = keygen('ec384', 'ecdsa', 384);
  ec521 = keygen('ec521', 'ecdsa', 521);
});

describe('fingerprintSha256', () => {
  it('prints what ssh-keygen -l -E sha256 prints, for every key type', () => {
    for (const k of [ed, ed2, rsa, ec256, ec384, ec521])
      expect(fingerprintSha256(k.blob)).toBe(oracleFingerprint(k.pub));
  });

  it('handles security-key (sk-) keys, which ssh-keygen fingerprints without the token', () => {
    const skEd = Buffer.concat([
      sshString('sk-ssh-ed25519@openssh.com'),
      sshString(randomBytes(32)),
      sshString('ssh:'),
    ]);
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const skEc = Buffer.concat([
      sshString('sk-ecdsa-sha2-nistp256@openssh.com'),
      sshString('nistp256'),
      sshString(point),
      sshString('ssh:'),
    ]);
    for (const [type, blob] of [
      ['sk-ssh-ed25519@openssh.com', skEd],
      ['sk-ecdsa-sha2-nistp256@openssh.com', skEc],
    ] as const) {
      const pub = join(tmp.path, `${type.slice(0, 6)}.pub`);
      writeFileSync(pub, `${type} ${blob.toString('base64')} sk@test\n`);
      expect(fingerprintSha256(blob)).toBe(oracleFingerprint(pub));
      const { entries, warnings } = parseKnownHosts(`skhost ${type} ${blob.toString('base64')}\n`, 'kh');
      expect(warnings).toEqual([]);
      expect(entries[0]!.keyType).toBe(type);
    }
  });
});

describe('parseKnownHosts', () => {
  it('reads each key type, markers, comments and blank lines, numbering lines as OpenSSH does', () => {
    const text = [
      '# a comment',
      '',
      `host-a ${ed.type} ${ed.b64} the comment`,
      `  \thost-b ${rsa.type} ${rsa.b64}`,
      `@revoked * ${ec256.type} ${ec256.b64}`,
      `@cert-authority *.example.com ${ec384.type} ${ec384.b64}`,
      `host-c ${ec521.type} ${ec521.b64}`,
      `host-d rsa-sha2-512 ${rsa.b64}`,
    ].join('\n');
    const { entries, warnings } = parseKnownHosts(text, '/kh');
    expect(warnings).toEqual([]);
    expect(entries.map((e) => [e.line, e.marker, e.hosts, e.keyType])).toEqual([
      [3, null, 'host-a', 'ssh-ed25519'],
      [4, null, 'host-b', 'ssh-rsa'],
      [5, 'revoked', '*', 'ecdsa-sha2-nistp256'],
      [6, 'cert-authority', '*.example.com', 'ecdsa-sha2-nistp384'],
      [7, null, 'host-c', 'ecdsa-sha2-nistp521'],
      [8, null, 'host-d', 'ssh-rsa'],
    ]);
    expect(entries[0]!.comment).toBe('the comment');
    expect(entries[0]!.key.equals(ed.blob)).toBe(true);
  });

  it('reads files with CRLF line endings', () => {
    const { entries, warnings } = parseKnownHosts(`h1 ${ed.type} ${ed.b64}\r\nh2 ${rsa.type} ${rsa.b64}\r\n`, 'kh');
    expect(warnings).toEqual([]);
    expect(entriesForHost(entries, 'h2').map((e) => e.keyType)).toEqual(['ssh-rsa']);
  });

  it('skips malformed lines with a warning naming file and line, and still matches the good ones', () => {
    const lines = [
      /* 1 */ 'garbage',
      /* 2 */ `host1 ssh-ed25519 ${ed.b64.slice(0, 30)}`, // truncated base64
      /* 3 */ `host1 ssh-ed25519 ${ed.b64.slice(0, 20)}${ed.b64.slice(21)}`, // a character dropped
      /* 4 */ `host1 ssh-rsa ${ed.b64}`, // the type says RSA, the key is ED25519
      /* 5 */ 'host1 ssh-foo AAAAB3NzaC1yc2E=',
      /* 6 */ 'host1 1024 35 1234567', // SSH protocol 1
      /* 7 */ 'host1',
      /* 8 */ `host1 ssh-ed25519 ${ed.b64.slice(0, 10)}!${ed.b64.slice(11)}`,
      /* 9 */ `host1 ssh-ed25519 ${ed2.b64}`, // good
      /* 10 */ `|1|bad|salt ssh-ed25519 ${ed.b64}`,
      /* 11 */ `[host1]:2222 ${rsa.type} ${rsa.b64}`, // good
      /* 12 */ `host1 ssh-ed25519`,
    ];
    const file = join(tmp.path, 'malformed');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { entries, warnings } = loadKnownHosts([file]);
    expect(entries.map((e) => e.line)).toEqual([9, 11]);
    expect(warnings.map((w) => w.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 12]);
    for (const w of warnings) expect(w.message).toContain(`${file}:${w.line}: `);
    expect(warnings.find((w) => w.line === 4)!.message).toMatch(/says ssh-rsa but the key data is ssh-ed25519/);
    expect(entriesForHost(entries, 'host1').map((e) => e.line)).toEqual([9]);
    expect(entriesForHost(entries, '[host1]:2222').map((e) => e.line)).toEqual([11]);

    // oracle: the keys ssh-keygen can read from the file are ours, plus the line with the bad hash
    // (ssh-keygen -l does not look at host names; ssh skips that line when it looks one up)
    const listed = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(1, 3).join(' '));
    expect(listed.sort()).toEqual(
      [
        ...entries.map((e) => `${fingerprintSha256(e.key)} ${e.hosts}`),
        `${fingerprintSha256(ed.blob)} |1|bad|salt`,
      ].sort(),
    );
  });

  it('warns about unknown and repeated markers', () => {
    const { entries, warnings } = parseKnownHosts(
      [
        `@revokd host1 ${ed.type} ${ed.b64}`,
        `@revoked @cert-authority host1 ${ed.type} ${ed.b64}`,
        '@revoked',
        `@cert-authority host1 ${ed.type} ${ed.b64}`,
      ].join('\n'),
      'kh',
    );
    expect(entries.map((e) => [e.line, e.marker])).toEqual([[4, 'cert-authority']]);
    expect(warnings.map((w) => w.line)).toEqual([1, 2, 3]);
    expect(warnings[0]!.message).toMatch(/unknown marker "@revokd"/);
  });

  it('treats a missing file as empty and an unreadable one as a warning, never throwing', () => {
    const dir = join(tmp.path, 'a-directory');
    mkdirSync(dir);
    const r = loadKnownHosts([join(tmp.path, 'missing'), dir]);
    expect(r.entries).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.message).toContain(dir);
    expect(parseKnownHosts('\u0000\u0001\u001b[31m \uFFFF |||| @@@ \n', 'kh').entries).toEqual([]);
  });
});

describe('host matching, against ssh-keygen -F', () => {
  const queries = [
    'host1',
    'host2',
    'host3',
    '[host3]:2222',
    'foo.example.com',
    'bad.example.com',
    'example.com',
    'a.b.example.com',
    '[10.0.0.5]:2222',
    '[10.0.0.55]:2222',
    '10.0.0.5',
    'host4',
    'HOST4',
    '10.1.2.3',
    'x.dev.y',
    'abc',
    'ac',
    'abbc',
    'neg',
    'pos',
    '[a.port.test]:2200',
    'a.port.test',
    'x.ca.test',
    'unknown-host',
    'revoked.test',
    '[revoked.test]:22',
  ];

  function writeKnownHosts(name: string): string {
    const file = join(tmp.path, name);
    writeFileSync(
      file,
      [
        `host1,host2 ${ed.type} ${ed.b64}`,
        `*.example.com,!bad.example.com ${ed.type} ${ed.b64}`,
        `[host3]:2222 ${rsa.type} ${rsa.b64}`,
        `[10.0.0.?]:2222 ${ed.type} ${ed.b64}`,
        `@revoked revoked.* ${rsa.type} ${rsa.b64}`,
        `@cert-authority *.ca.test ${ed.type} ${ed.b64}`,
        `Host4 ${ec256.type} ${ec256.b64}`,
        `10.1.2.3 ${ec256.type} ${ec256.b64}`,
        `*.dev.* ${ed.type} ${ed.b64}`,
        `a?c ${ed.type} ${ed.b64}`,
        `!neg,pos,neg ${ed.type} ${ed.b64}`,
        `[*.port.test]:* ${ed.type} ${ed.b64}`,
        `# host1 in a comment ${ed.type} ${ed.b64}`,
        `host3 ${ed.type} ${ed.b64}`,
      ].join('\n') + '\n',
    );
    return file;
  }

  it('matches the same lines as ssh-keygen -F: wildcards, negation, ports, markers, case', () => {
    const file = writeKnownHosts('patterns');
    const { entries, warnings } = loadKnownHosts([file]);
    expect(warnings).toEqual([]);
    let nonEmpty = 0;
    for (const q of queries) {
      const ours = entriesForHost(entries, q).map((e) => e.line);
      expect({ q, lines: ours }).toEqual({ q, lines: oracleMatches(q, file) });
      if (ours.length) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(15);
  });

  it('finds entries hashed by ssh-keygen -H, including [host]:2222, as ssh-keygen -F does', () => {
    const file = writeKnownHosts('hashed');
    copyFileSync(file, `${file}.plain`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const { entries, warnings } = loadKnownHosts([file]);
    expect(warnings).toEqual([]);
    // host1,host2 became two hashed lines; [host3]:2222, Host4, 10.1.2.3 and host3 are hashed too
    expect(entries.filter((e) => e.salt !== null)).toHaveLength(6);
    expect(readFileSync(file, 'utf8')).not.toContain('[host3]:2222');
    for (const q of queries.filter((x) => x === x.toLowerCase())) {
      expect({ q, lines: entriesForHost(entries, q).map((e) => e.line) }).toEqual({ q, lines: oracleMatches(q, file) });
    }
    const port = entriesForHost(entries, '[host3]:2222');
    expect(port.map((e) => [e.salt !== null, e.keyType])).toEqual([[true, 'ssh-rsa']]);
    expect(entriesForHost(entries, 'host3').every((e) => e.keyType === 'ssh-ed25519')).toBe(true);
    // ssh lowercases the host name before it looks it up, hashed or not
    expect(entriesForHost(entries, 'HOST4').map((e) => e.keyType)).toEqual(['ecdsa-sha2-nistp256']);
  });

  it('names a host on another port [host]:port, and on port 22 just host', () => {
    expect(hostPortName('10.0.0.5', 22)).toBe('10.0.0.5');
    expect(hostPortName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  it('globs like OpenSSH: * any run, ? exactly one character, everything else literal', () => {
    expect(matchPattern('abc', 'a?c')).toBe(true);
    expect(matchPattern('ac', 'a?c')).toBe(false);
    expect(matchPattern('', '*')).toBe(true);
    expect(matchPattern('a.b.c', '*.c')).toBe(true);
    expect(matchPattern('[h]:22', '[h]:2?')).toBe(true);
    expect(matchPattern('h', '[h]')).toBe(false);
    // no exponential backtracking on hostile patterns
    const t = Date.now();
    expect(matchPattern('a'.repeat(5000), `${'*a'.repeat(200)}b`)).toBe(false);
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
