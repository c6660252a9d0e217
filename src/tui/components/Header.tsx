/** The top line: fleet health (nodes up, sessions by state, decisions waiting, tokens and cost per hour), then where focus is. */
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { FleetHealth, FleetState } from '../../cockpit/types.js';
import { useTui } from '../context.js';
import { baseLayer, type BaseLayer } from '../layers.js';
import { dollars, tokens } from '../../cockpit/format.js';
import { clean } from '../text.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';

const selectHealth = (s: FleetState) => s.health;
const selectBase = (u: UiState) => baseLayer(u.stack);
const sameBase = (a: BaseLayer, b: BaseLayer) =>
  a.kind === b.kind &&
  (a.kind === 'fleet' ||
    (a.node === (b as typeof a).node && (a.kind !== 'session' || a.session === (b as typeof a).session)));
const selectFilter = (u: UiState) => u.filter;

function Health({ h, width }: { h: FleetHealth; width: number }) {
  const { theme } = useTui();
  const s = h.sessions;
  const parts = [
    `nodes ${h.nodesUp}/${h.nodesTotal} up`,
    `sessions ${s.working} working ${s['needs-input']} input ${s.idle} idle ${s.paused} paused ${s.starting} starting`,
    `workers ${h.workers.running}/${h.workers.queued + h.workers.running}`,
  ];
  const rate = `${tokens(h.tokensPerHour)} tok/h ${dollars(h.costPerHour)}/h  total ${dollars(h.costUsd)}`;
  const decisions =
    h.decisions > 0 ? ` ⚑ ${h.decisions} decision${h.decisions === 1 ? '' : 's'} waiting ` : ' no decisions waiting ';
  const left = ` agency │ ${parts.join(' │ ')} │`;
  const room = Math.max(0, width - left.length - decisions.length - rate.length - 4);
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
        {`│ ${rate}${' '.repeat(room)} `}
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
