/**
 * Sending files to a node over one exec channel: a file arrives whole; a file streamed into tar is unpacked
 * while it arrives and its hash checked; a full disk and a command that stops reading give their reason
 * instead of hanging.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/fleet/ssh-connect.js';
import { streamFile, uploadFile } from '../../src/fleet/upload.js';
import { fleetUp, type Fleet } from '../helpers/fleet.js';

let fleet: Fleet;
let conns: SshConnection[];
let dir: string;
let big: string;
let archive: string;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agency-upload-'));
  big = join(dir, 'big.bin');
  writeFileSync(big, randomBytes(6 * 1024 * 1024));
  mkdirSync(join(dir, 'stage', 'bin'), { recursive: true });
  writeFileSync(join(dir, 'stage', 'bin', 'tool'), randomBytes(3 * 1024 * 1024));
  writeFileSync(join(dir, 'stage', 'README'), 'a file in the archive\n');
  archive = join(dir, 'a.tgz');
  await create({ gzip: true, file: archive, cwd: join(dir, 'stage') }, ['bin', 'README']);
  fleet = await fleetUp(2, { prefix: 'apu', subnet: '10.243', diskFull: [2] });
  conns = await Promise.all(
    fleet.nodes.map((x) =>
      SshConnection.connect({
        name: x.name,
        host: x.host,
        port: x.port,
        user: x.user,
        identityFiles: [fleet.clientKey],
        knownHostsFiles: [fleet.knownHosts()],
      }),
    ),
  );
}, 120_000);
afterAll(async () => {
  for (const c of conns ?? []) c.end();
  await fleet?.down();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('uploads over an exec channel', () => {
  it('writes a file whole at a path relative to the home folder', async () => {
    await uploadFile(conns[0]!, big, 'it is big.bin');
    const r = await conns[0]!.exec(`sha256sum 'it is big.bin'`);
    expect(r.stdout.split(' ')[0]).toBe(sha(big));
  });

  it('streams an archive into tar while keeping it, and the command says its hash', async () => {
    const r = await streamFile(conns[0]!, archive, 'mkdir -p out && tee a.part | tar xzf - -C out && sha256sum a.part');
    expect(r).toMatchObject({ code: 0, bytes: readFileSync(archive).length });
    expect(r.stdout.split(' ')[0]).toBe(sha(archive));
    const got = await conns[0]!.exec('sha256sum out/bin/tool; cat out/README');
    expect(got.stdout).toContain(
      createHash('sha256')
        .update(readFileSync(join(dir, 'stage', 'bin', 'tool')))
        .digest('hex'),
    );
    expect(got.stdout).toContain('a file in the archive');
  });

  it('gives the exit code and the words of a command that stops reading early', async () => {
    const r = await streamFile(conns[0]!, big, 'head -c 1000 > /dev/null; echo "not taking more" >&2; exit 3');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not taking more');
  });

  it('rejects with the node’s reason when its disk is full', async () => {
    await expect(uploadFile(conns[1]!, big, 'big.bin')).rejects.toThrow(/No space left on device/);
  });

  it('rejects when the folder is not there', async () => {
    await expect(uploadFile(conns[0]!, big, 'no-such-folder/big.bin')).rejects.toThrow(/no-such-folder/);
  });
});
