/**
 * Triage's rule, with the real classifier over a hand-written organisation (test/fixtures/orgs/studio-three:
 * three VPs over the disciplines agency ships): a task goes to its VP's least loaded reachable node; a VP
 * whose nodes are all down sends it to the least loaded node with a note naming the VP and why; a task that
 * fits no discipline of the organisation goes to the least loaded node with a note; a discipline chosen picks
 * its VP's node; nodes that report carrying a VP win over org.yaml's list.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { triageOf } from '../../src/cli/org-triage.js';
import { placeTask, vpNodes, type TriageNode } from '../../src/cockpit/triage.js';
import { defaultRegistryDir } from '../../src/paths/package.js';
import type { NodeOrg, SessionSummary } from '../../src/protocol/messages.js';
import { loadRegistryAt } from '../../src/registry/index.js';

const ORG = fileURLToPath(new URL('../fixtures/orgs/studio-three', import.meta.url));
const triage = triageOf(loadRegistryAt(ORG, defaultRegistryDir()));
const up = (name: string, org?: NodeOrg): TriageNode => ({ name, state: 'up', info: org ? { org } : {} });
const down = (name: string): TriageNode => ({ name, state: 'down', info: null });
const live = (node: string, n: number): Pick<SessionSummary, 'node' | 'state'>[] =>
  Array.from({ length: n }, () => ({ node, state: 'working' as const }));
const place = (task: string, nodes: TriageNode[], sessions = live('x', 0), discipline?: string) =>
  placeTask(triage.org, triage.fit(task, discipline), nodes, sessions);

const INFRA = 'add a kubernetes helm chart and a ci pipeline for the service';
const FLEET = [up('n1'), up('n2'), up('n3')];

describe('triage', () => {
  it('classifies over the VPs’ disciplines only, and a task for each VP’s mandate goes to its node', () => {
    expect(triage.rank('x').map((r) => r.discipline)).not.toContain('mobile');
    expect(triage.rank('x')).toHaveLength(6);
    expect(place(INFRA, FLEET)).toEqual({
      node: 'n2',
      vp: { id: 'platform', name: 'Platform and Security' },
      discipline: 'devops',
      note: null,
    });
    expect(place('fix the react component that renders the login form', FLEET)).toMatchObject({
      node: 'n1',
      vp: { id: 'product' },
      discipline: 'frontend',
    });
    expect(place('write the readme and a tutorial for the docs', FLEET)).toMatchObject({
      node: 'n3',
      vp: { id: 'knowledge' },
      discipline: 'documentation',
    });
  });

  it('a VP whose nodes are down: the least loaded reachable node, with a note naming the VP and why', () => {
    const p = place(INFRA, [up('n1'), down('n2'), up('n3')], live('n1', 2));
    expect(p.node).toBe('n3');
    // the task is still the VP's: the node is told its discipline and VP
    expect(p.vp).toEqual({ id: 'platform', name: 'Platform and Security' });
    expect(p.discipline).toBe('devops');
    expect(p.note).toBe(
      'VP Platform and Security (platform): none of its nodes is reachable (n2 down); running on n3, the least loaded reachable node (n3 does not carry the organisation studio-three: it may not know discipline devops)',
    );
    // a node org.yaml names that the config does not have
    const gone = place(INFRA, [up('n1'), up('n3')]);
    expect(gone.node).toBe('n1');
    expect(gone.note).toContain('(n2 is not a configured node)');
    // and nothing reachable at all
    expect(place(INFRA, [down('n1'), down('n2')]).node).toBeNull();
  });

  it('falling back, a node that carries the organisation goes before a less loaded one that does not', () => {
    const org: NodeOrg = {
      id: 'studio-three',
      name: 'Studio Three',
      vps: [{ id: 'product', name: 'Product', mandate: 'm', disciplines: ['frontend'] }],
    };
    const nodes = [up('n1'), down('n2'), up('n3', org), up('n4', { ...org, id: 'elsewhere' })];
    const p = place(INFRA, nodes, live('n3', 3));
    expect(p.node).toBe('n3');
    expect(p.note).toBe(
      'VP Platform and Security (platform): none of its nodes is reachable (n2 down); running on n3, the least loaded reachable node of the organisation',
    );
    // a discipline of no VP, too
    expect(place(INFRA, nodes, live('n3', 3), 'mobile')).toMatchObject({ node: 'n3', discipline: 'mobile' });
    // with none of the organisation reachable: any node, and the note says it may not know the discipline
    const none = place(INFRA, [up('n1'), down('n2'), down('n3')]);
    expect(none.node).toBe('n1');
    expect(none.note).toContain('(n1 does not carry the organisation studio-three: it may not know discipline devops)');
  });

  it('a task that fits no discipline of the organisation: the least loaded node, with a note, and no discipline', () => {
    const p = place('bake sourdough bread', FLEET, live('n1', 1));
    expect(p).toEqual({
      node: 'n2',
      vp: null,
      note: 'the task fits no discipline of the organisation Studio Three (studio-three): running on n2, the least loaded node',
    });
  });

  it('a discipline chosen picks its VP’s node, whatever the task says; one with no VP goes to the least loaded', () => {
    expect(place(INFRA, FLEET, [], 'legal-compliance')).toMatchObject({
      node: 'n3',
      vp: { id: 'knowledge' },
      discipline: 'legal-compliance',
      note: null,
    });
    const none = place(INFRA, FLEET, live('n1', 1), 'mobile');
    expect(none).toMatchObject({ node: 'n2', vp: null, discipline: 'mobile' });
    expect(none.note).toContain('discipline mobile belongs to no VP of the organisation Studio Three');
  });

  it('a VP on several nodes: the least loaded of them, the first by name on a tie; down ones are passed over', () => {
    const org: NodeOrg = {
      id: 'studio-three',
      name: 'Studio Three',
      vps: [{ id: 'platform', name: 'Platform and Security', mandate: 'm', disciplines: ['devops', 'security-audit'] }],
    };
    const nodes = [up('n1'), up('n4', org), up('n5', org), up('n6', org), up('n2')];
    // nodes that report carrying the VP win over org.yaml's n2
    expect(vpNodes(triage.org, triage.org.vps[1]!, nodes)).toEqual(['n4', 'n5', 'n6']);
    expect(place(INFRA, nodes, [...live('n4', 2), ...live('n5', 1), ...live('n6', 1)]).node).toBe('n5');
    expect(place(INFRA, nodes, [...live('n4', 2), ...live('n6', 1)]).node).toBe('n5');
    expect(place(INFRA, [up('n1'), up('n4', org), down('n5'), up('n6', org)], live('n4', 1)).node).toBe('n6');
    // a node of another organisation carrying a VP of the same id does not count
    const other = { ...org, id: 'elsewhere' };
    expect(vpNodes(triage.org, triage.org.vps[1]!, [up('n7', other), up('n2')])).toEqual(['n2']);
  });
});
