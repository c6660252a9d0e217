/**
 * Copies files of this machine to a node over an SSH connection.
 *
 * `streamFile` writes the file into a remote command's standard input on one exec channel: the bytes go
 * as fast as the channel's window lets them (as OpenSSH's scp does), and the command can unpack them while
 * they arrive, so unpacking overlaps the transfer. `uploadFile` writes a file at a path the same way.
 */
import { createReadStream } from 'node:fs';
import { shq } from './shell-quote.js';
import type { SshConnection } from './ssh-connect.js';

/** How a remote command that was fed a file ended. */
export interface StreamResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** bytes of the file written to the command */
  bytes: number;
}

/** Read size: large reads keep the channel's window full with few callbacks. */
const READ_CHUNK = 256 * 1024;

/**
 * Runs `command` on the node with `file` as its standard input and resolves when the command has ended,
 * with its exit code and output (a failing command resolves too: the caller reads `code` and `stderr`).
 * Rejects only when the channel cannot be opened, the file cannot be read, or `timeoutMs` passes.
 *
 * A command that unpacks while checking what it was sent, for instance:
 * `tee x.part | tar xzf - -C x.tmp && sha256sum x.part`.
 */
export async function streamFile(
  conn: SshConnection,
  file: string,
  command: string,
  opts: { timeoutMs?: number } = {},
): Promise<StreamResult> {
  const ch = await conn.execStream(command);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    let bytes = 0;
    let settled = false;
    const finish = (e: Error | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (e) {
        input.destroy();
        ch.close();
        reject(e);
      } else resolve({ code, stdout, stderr, bytes });
    };
    const timer = opts.timeoutMs
      ? setTimeout(
          () => finish(new Error(`sending ${file} to ${conn.target.name} did not finish in ${opts.timeoutMs} ms`)),
          opts.timeoutMs,
        )
      : null;
    const input = createReadStream(file, { highWaterMark: READ_CHUNK });
    input.on('data', (d) => (bytes += d.length));
    input.on('error', (e) => finish(e));
    ch.on('data', (d: Buffer) => (stdout += d.toString()));
    ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    ch.on('exit', (c: number | null) => (code = c));
    ch.on('close', () => finish(null));
    // a command that exits before reading everything closes its end: stop sending, keep its answer
    ch.on('error', () => input.unpipe(ch));
    input.pipe(ch);
  });
}

/**
 * Uploads `file` to `remotePath` on the node (relative to the user's home; the folder must exist), through
 * `cat` on an exec channel, which costs less on both ends than SFTP's acknowledged writes; rejects with the
 * node's reason (`cat: write error: No space left on device`, say).
 */
export async function uploadFile(conn: SshConnection, file: string, remotePath: string): Promise<void> {
  const r = await streamFile(conn, file, `cat > ${shq(remotePath)}`);
  if (r.code !== 0)
    throw new Error(r.stderr.trim().split('\n').pop() || `writing ${remotePath} failed (exit ${r.code})`);
}
