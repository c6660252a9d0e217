/** Copies a file of this machine to a node over an SSH connection. */
import type { SshConnection } from './ssh-connect.js';

/** Uploads `file` to `remotePath` on the node (the folder must exist); rejects with the server's reason. */
export async function uploadFile(conn: SshConnection, file: string, remotePath: string): Promise<void> {
  const { sftp, release } = await conn.sftp();
  try {
    await new Promise<void>((resolve, reject) => {
      sftp.fastPut(file, remotePath, { concurrency: 16, chunkSize: 64 * 1024 }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  } finally {
    release();
  }
}
