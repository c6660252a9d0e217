/** A node's spend in one line of its view: a chart of its last hours, the last hour and today, today per VP. */
import { memo, useCallback } from 'react';
import { Text } from 'ink';
import type { FleetState } from '../../cockpit/types.js';
import { dollars } from '../../cockpit/format.js';
import { sparkline } from '../../cockpit/spend.js';
import { useTui } from '../context.js';
import { clean } from '../text.js';
import { useFleet } from '../use-store.js';

/** How many hours the chart shows in a view `width` columns wide: all 24 from 64 columns on. */
const hoursFor = (width: number) => (width >= 64 ? 24 : width >= 48 ? 12 : 6);

export const SpendLine = memo(function SpendLine({ node, width }: { node: string; width: number }) {
  const { theme } = useTui();
  const spend = useFleet(useCallback((s: FleetState) => s.spend.get(node), [node]));
  if (!spend) return null;
  const hours = spend.hours.slice(-hoursFor(width));
  const lastHour = spend.lastHour?.costUsd ?? spend.hours.at(-1)?.costUsd ?? 0;
  const vps = Object.entries(spend.vps)
    .sort(([, a], [, b]) => b.costUsd - a.costUsd)
    .map(([vp, s]) => `${clean(vp, 24)} ${dollars(s.costUsd)}`);
  return (
    <Text wrap="truncate">
      <Text color={theme.text.dim}>{' spend '}</Text>
      <Text color={theme.focus.fg}>{sparkline(hours.map((h) => h.costUsd))}</Text>
      <Text color={theme.text.dim}>{` ${hours.length}h  `}</Text>
      {`${dollars(lastHour)}/h · ${dollars(spend.today.costUsd)} today`}
      {vps.length ? <Text color={theme.text.dim}>{` · ${vps.join(' · ')}`}</Text> : null}
    </Text>
  );
});
