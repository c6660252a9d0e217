/**
 * A node's VPs in the cockpit: each tile names the VPs its node carries (several joined) and their mandate,
 * cut to the tile at 80×24 and at 160×48; the node view lists them with their disciplines; a node given a new
 * organisation changes its tile; and what a node says of its VPs is shown, never obeyed.
 */
import { describe, expect, it } from 'vitest';
import type { LinkStatus } from '../../src/cockpit/types.js';
import type { NodeOrg } from '../../src/protocol/messages.js';
import { stringWidth } from '../../src/terminal/index.js';
import { fleetEvents, link, nodeEvent } from '../cockpit/fixtures.js';
import { KEY, mountEach } from './harness.js';

const app = mountEach();

const vp = (id: string, name: string, mandate: string, disciplines: string[]) => ({ id, name, mandate, disciplines });
const QUANT = vp('quant', 'Quant Strategy', "Design and stress-test the fund's trading strategies.", [
  'stress-testing',
]);
const RISK = vp('risk', 'Risk', "Keep the fund's systems and exposures within their limits.", ['backend']);
const IR = vp('ir', 'Investor Relations', 'Tell investors what the fund does and how it performs.', ['docs']);
const THREE = [QUANT, RISK, IR];

function withOrg(l: LinkStatus, vps: NodeOrg['vps']): LinkStatus {
  return { ...l, info: { ...l.info!, org: { id: 'fund-ops', name: 'Fund Operations', vps } } };
}

/** 16 nodes, each carrying one of three VPs round robin, studio-01 carrying two. */
function orgEvents() {
  const events = fleetEvents(16, 1);
  return events.map((e) => {
    if (e.kind !== 'node') return e;
    const n = Number(e.node.name.slice(-2));
    const vps = n === 1 ? [QUANT, IR] : [THREE[(n - 1) % 3]!];
    return nodeEvent(withOrg(e.node, vps));
  });
}

describe("a node's VPs in the cockpit", () => {
  it('each tile shows its VPs and their mandate, within the tile, at 160×48', async () => {
    const c = await app({ columns: 160, rows: 48, events: orgEvents() });
    const lines = c.lines();
    const frame = lines.join('\n');
    expect(lines.length).toBeLessThanOrEqual(48);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(160);
    // names cut to the room the title has beside the link state
    expect(frame).toContain('studio-01 · Quant Strategy,… 1 live');
    expect(frame).toContain('studio-02 · Risk             1 live');
    expect(frame).toContain('studio-03 · Investor Relati… 1 live');
    // a mandate, cut to its tile with an ellipsis, not wrapped into the next line
    expect(frame).toContain("│ Keep the fund's systems and exposu… │");
    expect(frame).toContain("║ Design and stress-test the fund's … ║");
    // the host gives way to the mandate only where the tile has no line to spare
    expect(frame).toContain('studio-01.lan');
  });

  it('at 80×24 the names and mandates are cut to the tiles, and the frame stays within the terminal', async () => {
    const c = await app({ columns: 80, rows: 24, events: orgEvents() });
    const lines = c.lines();
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    const frame = lines.join('\n');
    expect(frame).toContain('studio-01 · Quant Strategy,… 1 live');
    // a tile of the smallest height has no line to spare: the mandate takes the host's place
    expect(frame).toContain('0 tokens  $0.00  Design and stress… ║');
    expect(frame).toContain("0 tokens  $0.00  Keep the fund's s… │");
    expect(frame).not.toContain('studio-02.lan');
  });

  it('a VP named in wide (CJK) characters leaves the link state on the title line, at 80×24', async () => {
    const wide = vp('quant', '量化策略研究部门负责人', 'Design strategies.', ['stress-testing']);
    const events = fleetEvents(16, 1).map((e) =>
      e.kind === 'node' && e.node.name === 'studio-02' ? nodeEvent(withOrg(e.node, [wide])) : e,
    );
    const c = await app({ columns: 80, rows: 24, events });
    const lines = c.lines();
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    const title = lines.find((l) => l.includes('studio-02 · 量化'));
    expect(title, lines.join('\n')).toBeDefined();
    // the tile's title line ends with its link state, the name cut to make room for it
    expect(title).toMatch(/studio-02 · 量化[^│║]*… *1 live [│║]/);
  });

  it('the node view lists its VPs with their mandates and disciplines', async () => {
    const c = await app({ columns: 160, rows: 48, events: orgEvents() });
    await c.press(KEY.enter, (x) => x.lines()[1]!.includes('fleet › studio-01'));
    const frame = c.lines().join('\n');
    expect(frame).toContain(" Quant Strategy: Design and stress-test the fund's trading strategies. (stress-testing)");
    expect(frame).toContain(' Investor Relations: Tell investors what the fund does and how it performs. (docs)');
  });

  it('a node given an organisation later changes its tile', async () => {
    const c = await app({ columns: 160, rows: 48, events: fleetEvents(2, 1) });
    expect(c.lines().join('\n')).not.toContain('Risk');
    await c.feed([nodeEvent(withOrg(link('studio-02'), [RISK]))], { shows: 'studio-02 · Risk' });
  });

  it("shows a node's VP text as text: escapes and controls never reach the terminal", async () => {
    const hostile = vp('x', 'Evil\u001b]52;c;ZXZpbA==\u0007 VP', 'Own \u001b[2Jthe\u009b screen \u202eright', [
      'backend',
    ]);
    const c = await app({ columns: 160, rows: 48, events: [nodeEvent(withOrg(link('studio-01'), [hostile]))] });
    await c.press(KEY.enter, (x) => x.lines()[1]!.includes('fleet › studio-01'));
    const raw = c.stdout.lastFrame();
    expect(raw).not.toMatch(/\u001b\]|\u0007|\u009b|\u202e|\u001b\[2J/);
    expect(c.lines().join('\n')).toContain('Evil');
  });
});
