/**
 * Which nodes carry which VPs (`agency org apply`, and `push` after it): a VP's own `nodes` when org.yaml
 * names them, the others spread round robin over the configured nodes, those that carry no VP yet first.
 * Every VP gets a node; every node gets a VP (one carries several when there are fewer nodes than VPs).
 */
export interface VpPlacement {
  id: string;
  /** the nodes org.yaml names for it; empty: any */
  nodes: string[];
}

export class AssignmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssignmentError';
  }
}

/** node → the VPs it carries, in the order of the nodes given; throws AssignmentError for a node not configured. */
export function assignVps(vps: VpPlacement[], nodes: string[]): Map<string, string[]> {
  if (nodes.length === 0) throw new AssignmentError('no nodes to give the VPs to');
  const unknown = vps.flatMap((v) => v.nodes.filter((n) => !nodes.includes(n)).map((n) => `${n} (VP ${v.id})`));
  if (unknown.length)
    throw new AssignmentError(
      `org.yaml names node${unknown.length > 1 ? 's' : ''} that ${unknown.length > 1 ? 'are' : 'is'} not configured: ${unknown.join(', ')}; configured: ${nodes.join(', ')} (add one with agency nodes add, or change its VP's nodes)`,
    );
  const carried = new Map<string, string[]>(nodes.map((n) => [n, []]));
  const give = (node: string, vp: string) => {
    const list = carried.get(node)!;
    if (!list.includes(vp)) list.push(vp);
  };
  for (const v of vps) for (const n of v.nodes) give(n, v.id);
  const free = nodes.filter((n) => carried.get(n)!.length === 0);
  const order = [...free, ...nodes.filter((n) => !free.includes(n))];
  const unplaced = vps.filter((v) => v.nodes.length === 0).map((v) => v.id);
  // with every VP placed by org.yaml, nodes left without one still get one: all VPs go round them
  const spread = unplaced.length ? unplaced : vps.map((v) => v.id);
  const turns = unplaced.length ? Math.max(unplaced.length, free.length) : free.length;
  for (let i = 0; i < turns; i++) give(order[i % order.length]!, spread[i % spread.length]!);
  return carried;
}
