/** The link to the node on this machine, through its Unix socket (started on demand if asked). */
import { LinkBase, FinalLinkError } from './link.js';
import { connectLocal } from './local.js';

export class LocalLink extends LinkBase {
  constructor(
    name: string,
    private readonly startDaemon: boolean,
  ) {
    super(name, 'local');
  }

  protected async open() {
    const conn = await connectLocal({ start: this.startDaemon });
    try {
      const hello = await conn.ready;
      return { conn, transport: 'local' as const, info: hello.node ?? null };
    } catch (e) {
      if ((e as Error).name === 'ProtocolError') throw new FinalLinkError('incompatible', (e as Error).message);
      throw e;
    }
  }

  protected release(): void {}
}
