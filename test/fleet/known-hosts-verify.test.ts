// verifyHostKey: the verdict for a presented key against known_hosts files, and what it tells the
// operator to do. (The same verdicts against a live server and the real ssh client are in
// known-hosts-ssh2.test.ts.)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostKeyAlgorithmsFor, hostVerifierFor, verifyHostKey, type Verdict } from '../../src/fleet/host-verifier.js';
import { fingerprintSha256 } from '../../src/fleet/known-hosts.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('agency-verify-');
afterAll(() => tmp.remove());

interface Key {
  line: string;
  blob: Buffer;
  fp: string;
}
function keygen(name: string, type: string, bits?: number): Key {
  const path = join(tmp.path, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-f', path, '-N', '']);
  const [t, b64] = readFileSync(`${path}.pub`, 'utf8').split(' ');
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).split(
    ' ',
  )[1]!;
  return { line: `${t} ${b64}`, blob: Buffer.from(b64!, 'base64'), fp };
}

let n = 0;
function knownHosts(...lines: string[]): string {
  const file = join(tmp.path, `known_hosts_${++n}`);
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

function refused(v: Verdict): Extract<Verdict, { ok: false }> {
  if (v.ok) throw new Error(`expected a refusal, got ${JSON.stringify(v)}`);
  return v;
}

let ed: Key, edOther: Key, rsa: Key, ec256: Key, ec384: Key, ca: Key;
beforeAll(() => {
  ed = keygen('ed', 'ed25519');
  edOther = keygen('ed-other', 'ed25519');
  rsa = keygen('rsa', 'rsa', 2048);
  ec256 = keygen('ec256', 'ecdsa', 256);
  ec384 = keygen('ec384', 'ecdsa', 384);
  ca = keygen('ca', 'ed25519');
});

describe('verifyHostKey', () => {
  it('accepts a key listed for the host, naming the file and line', () => {
    const file = knownHosts('# comment', `other ${edOther.line}`, `10.0.0.5 ${ed.line}`);
    const v = verifyHostKey({ host: '10.0.0.5', port: 22, key: ed.blob, files: [file] });
    expect(v).toMatchObject({ ok: true, fingerprint: ed.fp, matchedFile: file, line: 3, keyType: 'ssh-ed25519' });
  });

  it('looks up [host]:port for other ports', () => {
    const file = knownHosts(`[10.0.0.5]:2222 ${ed.line}`);
    expect(verifyHostKey({ host: '10.0.0.5', port: 2222, key: ed.blob, files: [file] }).ok).toBe(true);
    expect(verifyHostKey({ host: '10.0.0.5', port: 22, key: ed.blob, files: [file] }).ok).toBe(false);
  });

  it('consults the files in order; missing ones are fine', () => {
    const file = knownHosts(`web ${ed.line}`);
    const v = verifyHostKey({ host: 'web', port: 22, key: ed.blob, files: [join(tmp.path, 'nope'), file] });
    expect(v).toMatchObject({ ok: true, matchedFile: file, line: 1 });
  });

  it('accepts the key under the plain host name for another port when [host]:port is not listed, as OpenSSH does', () => {
    const file = knownHosts(`10.0.0.5 ${ed.line}`);
    expect(verifyHostKey({ host: '10.0.0.5', port: 2222, key: ed.blob, files: [file] })).toMatchObject({
      ok: true,
      line: 1,
    });
    // …but a different key under the plain name says nothing about the port: unknown, not changed
    const other = knownHosts(`10.0.0.5 ${edOther.line}`);
    expect(refused(verifyHostKey({ host: '10.0.0.5', port: 2222, key: ed.blob, files: [other] })).reason).toBe(
      'unknown',
    );
  });

  it('refuses an unknown key with its fingerprint and the exact command to trust it', () => {
    const file = knownHosts(`someone-else ${ed.line}`);
    const v = refused(verifyHostKey({ host: '10.0.0.5', port: 2222, alias: 'gpu-box', key: ed.blob, files: [file] }));
    expect(v.reason).toBe('unknown');
    expect(v.fingerprint).toBe(ed.fp);
    expect(v.message).toContain(ed.fp);
    expect(v.message).toContain('gpu-box (10.0.0.5 port 2222)');
    expect(v.message).toContain(`ssh-keyscan -p 2222 -t ed25519 10.0.0.5 >> ${file}`);
    expect(v.message).toContain('ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub');
    expect(v.message).toMatch(/sent no credentials/);
    const v22 = refused(verifyHostKey({ host: 'web.example.com', port: 22, key: rsa.blob, files: [file] }));
    expect(v22.message).toContain(`ssh-keyscan -t rsa web.example.com >> ${file}`);
  });

  it('refuses a different key of the same type as changed, with the old line, both fingerprints and the fix', () => {
    const file = knownHosts(`[10.0.0.5]:2222 ${rsa.line}`, `[10.0.0.5]:2222 ${edOther.line}`);
    const v = refused(verifyHostKey({ host: '10.0.0.5', port: 2222, key: ed.blob, files: [file] }));
    expect(v.reason).toBe('changed');
    expect(v.message).toMatch(/WARNING.*CHANGED.*man-in-the-middle/s);
    expect(v.message).toContain(`${file}:2`);
    expect(v.message).toContain(edOther.fp);
    expect(v.message).toContain(ed.fp);
    expect(v.message).toContain(`ssh-keygen -R '[10.0.0.5]:2222' -f ${file}`);
    expect(v.message).toContain(`ssh-keyscan -p 2222 -t ed25519 10.0.0.5 >> ${file}`);
    expect(v.message.indexOf('ssh-keygen -R')).toBeLessThan(v.message.indexOf('ssh-keyscan'));
  });

  it('says to edit by hand when the old key sits on a line that covers other hosts too', () => {
    const file = knownHosts(`*.example.com ${edOther.line}`);
    const v = refused(verifyHostKey({ host: 'a.example.com', port: 22, key: ed.blob, files: [file] }));
    expect(v.reason).toBe('changed');
    expect(v.message).toMatch(/edit .*:1 by hand.*ssh-keygen -R would delete the line for all of them/s);
    expect(v.message).not.toMatch(/^ {2}ssh-keygen -R/m);
  });

  it('treats keys of other types only as "no key of this type is known": refused as unknown, naming what is known', () => {
    const file = knownHosts(`web ${rsa.line}`, `web ${ec256.line}`);
    const v = refused(verifyHostKey({ host: 'web', port: 22, key: ed.blob, files: [file] }));
    expect(v.reason).toBe('unknown');
    expect(v.message).toContain('No ED25519 key is known for web, only RSA, ECDSA');
    expect(v.message).toContain(`${file}:1, ${file}:2`);
    expect(v.message).toContain(`ssh-keyscan -t ed25519 web >> ${file}`);
    // ECDSA curves are distinct key types
    const p384 = refused(verifyHostKey({ host: 'web', port: 22, key: ec384.blob, files: [file] }));
    expect(p384.reason).toBe('unknown');
  });

  it('refuses a revoked key even when it is also listed plainly, in any file', () => {
    const plain = knownHosts(`web ${ed.line}`);
    const revoked = knownHosts(`@revoked * ${ed.line}`);
    const v = refused(verifyHostKey({ host: 'web', port: 22, key: ed.blob, files: [plain, revoked] }));
    expect(v.reason).toBe('revoked');
    expect(v.message).toContain(`${revoked}:1`);
    expect(v.message).toContain(ed.fp);
    // a revoked line for other hosts does not concern this one (OpenSSH matches its host patterns too)
    const elsewhere = knownHosts(`web ${ed.line}`, `@revoked other.host ${ed.line}`);
    expect(verifyHostKey({ host: 'web', port: 22, key: ed.blob, files: [elsewhere] }).ok).toBe(true);
  });

  it('refuses a host known only through @cert-authority: ssh2 cannot use host certificates', () => {
    const file = knownHosts(`@cert-authority *.example.com ${ca.line}`);
    const v = refused(verifyHostKey({ host: 'db.example.com', port: 22, key: ed.blob, files: [file] }));
    expect(v.reason).toBe('ca-only');
    expect(v.message).toMatch(/certificate authority.*ssh2.*cannot negotiate host certificates/s);
    expect(v.message).toContain(`${file}:1`);
    expect(v.message).toContain(`ssh-keyscan -t ed25519 db.example.com >> ${file}`);
    // with the host's own key listed as well, the CA line does not matter
    const both = knownHosts(`@cert-authority *.example.com ${ca.line}`, `db.example.com ${ed.line}`);
    expect(verifyHostKey({ host: 'db.example.com', port: 22, key: ed.blob, files: [both] })).toMatchObject({
      ok: true,
      line: 2,
    });
  });

  it('lowercases the host name as ssh does, for plain and hashed entries', () => {
    const file = knownHosts(`web.example.com ${ed.line}`);
    expect(verifyHostKey({ host: 'WEB.Example.COM', port: 22, key: ed.blob, files: [file] }).ok).toBe(true);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    expect(verifyHostKey({ host: 'WEB.Example.COM', port: 22, key: ed.blob, files: [file] }).ok).toBe(true);
  });

  it('looks up a HostKeyAlias instead of the host, with no port decoration', () => {
    const file = knownHosts(`my-alias ${ed.line}`);
    expect(
      verifyHostKey({ host: '10.0.0.5', port: 2222, hostKeyAlias: 'my-alias', key: ed.blob, files: [file] }).ok,
    ).toBe(true);
    expect(verifyHostKey({ host: '10.0.0.5', port: 2222, key: ed.blob, files: [file] }).ok).toBe(false);
    const v = refused(
      verifyHostKey({ host: '10.0.0.5', port: 2222, hostKeyAlias: 'other-alias', key: ed.blob, files: [file] }),
    );
    expect(v.message).toContain("ssh-keyscan -p 2222 -t ed25519 10.0.0.5 | sed 's/^[^ ]*/other-alias/' >> ");
  });

  it('accepts an RSA line whose type field is rsa-sha2-512, as OpenSSH reads it', () => {
    const [, b64] = rsa.line.split(' ');
    const file = knownHosts(`web rsa-sha2-512 ${b64}`);
    expect(verifyHostKey({ host: 'web', port: 22, key: rsa.blob, files: [file] }).ok).toBe(true);
  });

  it('passes on warnings about malformed lines, and matches the good ones', () => {
    const file = knownHosts('garbage here', `web ${ed.line.slice(0, 40)}`, `web ${ed.line}`);
    const v = verifyHostKey({ host: 'web', port: 22, key: ed.blob, files: [file] });
    expect(v).toMatchObject({ ok: true, line: 3 });
    expect(v.warnings).toHaveLength(2);
    expect(v.warnings[0]).toContain(`${file}:1`);
  });

  it('refuses a key blob it cannot parse, never throwing', () => {
    const junk = Buffer.from('not a key');
    const v = refused(verifyHostKey({ host: 'web', port: 22, key: junk, files: [knownHosts(`web ${ed.line}`)] }));
    expect(v.fingerprint).toBe(fingerprintSha256(junk));
  });
});

describe('hostVerifierFor', () => {
  it('records the verdict of the last call for the caller to report', () => {
    const file = knownHosts(`web ${ed.line}`);
    const h = hostVerifierFor({ host: 'web', port: 22, files: [file] });
    expect(h.verdict()).toBeNull();
    expect(h.verify(edOther.blob)).toBe(false);
    expect(h.verdict()).toMatchObject({ ok: false, reason: 'changed', fingerprint: edOther.fp });
    expect(h.verify(ed.blob)).toBe(true);
    expect(h.verdict()).toMatchObject({ ok: true, fingerprint: ed.fp });
  });
});

describe('hostKeyAlgorithmsFor', () => {
  it('puts the algorithms of the key types known for the host first', () => {
    const file = knownHosts(`web ${ec256.line}`, `web ${rsa.line}`, `[web]:2222 ${rsa.line}`);
    expect(hostKeyAlgorithmsFor({ host: 'web', port: 22, files: [file] }).slice(0, 4)).toEqual([
      'ecdsa-sha2-nistp256',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    expect(hostKeyAlgorithmsFor({ host: 'web', port: 2222, files: [file] })[0]).toBe('rsa-sha2-512');
    const fresh = hostKeyAlgorithmsFor({ host: 'new', port: 22, files: [file] });
    expect(fresh[0]).toBe('ssh-ed25519');
    expect(new Set(fresh).size).toBe(fresh.length);
  });
});
