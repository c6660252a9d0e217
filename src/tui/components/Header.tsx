/**
 * The top line: fleet health (nodes up, sessions by state, decisions waiting, tokens per hour, and the fleet's
 * spend in the last hour and today), then where focus is.
 */
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { FleetHealth, FleetState } from '../../cockpit/types.js';
import { useTui } from '../context.js';
import { baseLayer, type BaseLayer } from '../layers.js';
import { dollars, tokens } from '../../cockpit/format.js';
import { clean, fit } from '../text.js';
import { stringWidth } from '../../terminal/index.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';

const selectHealth = (s: FleetState) => s.health;
const selectBase = (u: UiState) => baseLayer(u.stack);
const sameBase = (a: BaseLayer, b: BaseLayer) =>
  a.kind === b.kind &&
  (a.kind === 'fleet' ||
    (a.node === (b as typeof a).node && (a.kind !== 'session' || a.session === (b as typeof a).session)));
const selectFilter = (u: UiState) => u.filter;

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * The header's parts at one level of detail: 0 says the most, each level after says less (the session
 * counts shorter, the rate without tokens, the node count shorter, the decisions shorter, no title, …).
 */
function partsAt(h: FleetHealth, level: number): { left: string; decisions: string; rate: string } {
  const s = h.sessions;
  const extra = [
    s.queued ? `${s.queued} queued` : '',
    s.paused ? `${s.paused} paused` : '',
    s.starting ? `${s.starting} starting` : '',
  ].filter(Boolean);
  const sessions =
    level === 0
      ? `sessions ${s.working} working ${s['needs-input']} input ${s.idle} idle ${s.paused} paused ${s.starting} starting${s.queued ? ` ${s.queued} queued` : ''}`
      : level < 6
        ? [`${s.working} working ${s['needs-input']} input ${s.idle} idle`, ...extra].join(' ')
        : `${s.working} work ${s['needs-input']} in ${s.idle} idle`;
  const anyWorkers = h.workers.queued + h.workers.running + h.workers.done + h.workers.failed > 0;
  const workers =
    level === 0 || (level < 3 && anyWorkers)
      ? `workers ${h.workers.running}/${h.workers.queued + h.workers.running}`
      : '';
  const ready = h.readyToLand > 0 ? (level < 3 ? `${h.readyToLand} ready to land` : `${h.readyToLand} ready`) : '';
  const nodes = level < 3 ? `nodes ${h.nodesUp}/${h.nodesTotal} up` : `${h.nodesUp}/${h.nodesTotal} nodes`;
  const left = [level < 5 ? 'agency' : '', nodes, sessions, ready, workers].filter(Boolean).join(' │ ');
  const n = h.decisions;
  const decisions =
    level < 4
      ? n > 0
        ? `⚑ ${plural(n, 'decision')} waiting`
        : 'no decisions waiting'
      : n > 0
        ? `⚑ ${n} waiting`
        : 'no decisions';
  // the nodes' recorded spend when they tell it (the last hour, today), else what the sessions' usage shows
  const sp = h.spend;
  const rate = sp
    ? level < 2
      ? `${tokens(sp.lastHourTokens)} tok/h  ${dollars(sp.lastHourUsd)}/h · ${dollars(sp.todayUsd)} today`
      : level < 7
        ? `${dollars(sp.lastHourUsd)}/h · ${dollars(sp.todayUsd)} today`
        : `${dollars(sp.todayUsd)} today`
    : level < 2
      ? `${tokens(h.tokensPerHour)} tok/h ${dollars(h.costPerHour)}/h  total ${dollars(h.costUsd)}`
      : level < 7
        ? `${dollars(h.costPerHour)}/h total ${dollars(h.costUsd)}`
        : `total ${dollars(h.costUsd)}`;
  return { left: ` ${left} │`, decisions: ` ${decisions} `, rate: `│ ${rate}` };
}

const LEVELS = 8;

/**
 * The fleet's health in `width` columns: as much detail as fits, and whatever the width, the decisions
 * waiting and the cost (the left part is what gets cut).
 */
export function healthLine(h: FleetHealth, width: number): { left: string; decisions: string; rate: string } {
  for (let level = 0; level < LEVELS; level++) {
    const p = partsAt(h, level);
    if (stringWidth(p.left + p.decisions + p.rate) + 1 <= width) return p;
  }
  const p = partsAt(h, LEVELS - 1);
  const room = width - 1 - stringWidth(p.decisions + p.rate);
  return { ...p, left: room > 2 ? fit(p.left, room) : '' };
}

function Health({ h, width }: { h: FleetHealth; width: number }) {
  const { theme } = useTui();
  const { left, decisions, rate } = healthLine(h, width);
  const room = Math.max(0, width - stringWidth(left + decisions + rate));
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate" backgroundColor={theme.header.bg} color={theme.header.fg}>
        {left}
        <Text
          bold={h.decisions > 0}
          inverse={h.decisions > 0}
          color={h.decisions > 0 ? theme.decision.fg : theme.header.fg}
        >
          {decisions}
        </Text>
        {`${rate}${' '.repeat(room)}`}
      </Text>
    </Box>
  );
}

export const Header = memo(function Header({ width }: { width: number }) {
  const { theme } = useTui();
  const health = useFleet(selectHealth);
  const base = useUi(selectBase, sameBase);
  const filter = useUi(selectFilter);
  const path =
    base.kind === 'fleet'
      ? 'fleet'
      : base.kind === 'node'
        ? `fleet › ${clean(base.node, 64)}`
        : `fleet › ${clean(base.node, 64)} › ${clean(base.session, 32)}`;
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Health h={health} width={width} />
      <Box width={width} height={1}>
        <Text wrap="truncate" color={theme.text.dim}>
          {` ${path}`}
          {filter ? <Text color={theme.focus.fg}>{`   filter: ${clean(filter, 60)}`}</Text> : null}
        </Text>
      </Box>
    </Box>
  );
});
