/**
 * The organisation a node was given (`agency org apply`): its overlay's files kept under the node's home,
 * checked before they are used, and the VPs of it that this node carries.
 */
import { RemoteError } from '../protocol/connection.js';
import type { NodeOrg } from '../protocol/messages.js';
import type { OpArgs } from '../protocol/ops.js';

export class NodeOrgStore {
  /** the organisation and the VPs this node carries, or null when it was given none */
  current(): NodeOrg | null {
    return null;
  }

  async apply(_args: OpArgs['org-apply']): Promise<NodeOrg> {
    throw new RemoteError('failed', 'this node cannot take an organisation yet');
  }
}
