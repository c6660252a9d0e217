/**
 * One node (its VP) as a tile: name and the names of the VPs it carries, with their mandate, link state, sessions by state, decisions waiting (the tile
 * is highlighted while any wait), workers by state and model, what it is doing now (and until when the API
 * rate-limited it), tokens and cost and its live sessions by model; a
 * taller tile gives its workers a line of their own and lists its most recently active sessions too. It
 * reads its own node's summary from the store, so it re-renders when that summary changes and at no other
 * time.
 */
import { memo, useCallback } from 'react';
import { Box, Text } from 'ink';
import type { FleetState, NodeSummary } from '../../cockpit/types.js';
import { useTui } from '../context.js';
import { dollars, rateLimitedText, tokens } from '../../cockpit/format.js';
import { clean, fit } from '../text.js';
import { stringWidth } from '../../terminal/index.js';
import { useFleet } from '../use-store.js';
import { workersLine } from '../worker-text.js';

/** the smallest tile: border, title, counts, decisions, doing now, tokens */
export const TILE_MIN_HEIGHT = 7;
export const TILE_MAX_HEIGHT = 13;
export const TILE_MIN_WIDTH = 36;

/** How a tile's title line marks a node whose sessions do not run in the OS sandbox. */
const UNSANDBOXED: Record<NonNullable<NodeSummary['sandbox']>, string> = {
  on: '',
  off: 'unsandboxed',
  unavailable: 'no sandbox',
};

/** `s` padded with spaces to `width` columns (wide characters take two; padEnd would count them as one). */
function padTo(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - stringWidth(s)));
}

/** Sessions by state; where they do not fit the tile, the states with none are left out. */
function counts(n: NodeSummary, room: number): string {
  const s = n.sessions;
  const parts: [number, string][] = [
    [s.working, 'working'],
    [s['needs-input'], 'input'],
    [s.idle, 'idle'],
  ];
  for (const st of ['queued', 'paused', 'starting', 'failed'] as const) if (s[st]) parts.push([s[st], st]);
  const all = parts.map(([k, what]) => `${k} ${what}`).join(' · ');
  if (stringWidth(all) <= room) return all;
  return parts
    .filter(([k]) => k > 0)
    .map(([k, what]) => `${k} ${what}`)
    .join(' · ');
}

export const VpTile = memo(function VpTile({
  name,
  width,
  height,
  focused,
}: {
  name: string;
  width: number;
  height: number;
  focused: boolean;
}) {
  const { theme } = useTui();
  const select = useCallback((s: FleetState) => s.nodes.get(name), [name]);
  const n = useFleet(select);
  const inner = Math.max(4, width - 4);
  if (!n) return <Box width={width} height={height} />;
  const waiting = n.decisions > 0;
  const border = focused ? theme.focus.border : waiting ? theme.decision.border : theme.tile.border;
  const title = clean(n.name, inner) + (n.persona ? ` · ${clean(n.persona, inner)}` : '');
  const link = n.link === 'up' ? `${n.live} live` : n.link;
  // a node whose sessions run outside the OS sandbox says so in its title line, in the error colour
  const unsandboxed = n.link === 'up' ? UNSANDBOXED[n.sandbox ?? 'on'] : '';
  const titleRoom = Math.max(1, inner - link.length - 1 - (unsandboxed ? unsandboxed.length + 1 : 0));
  const extra = Math.max(0, height - TILE_MIN_HEIGHT);
  const counted = { states: n.workers, models: n.workerModels };
  // workers get a line of their own where the tile has one to spare; otherwise what fits after the decisions
  const ownLine = extra > 0 ? workersLine(counted, inner) : '';
  const decisionPart = waiting ? ` ⚑ ${n.decisions} decision${n.decisions === 1 ? '' : 's'} waiting ` : 'no decisions';
  const ready = n.readyToLand ? ` · ${n.readyToLand} ready to land` : '';
  const inlineRoom = inner - stringWidth(decisionPart) - stringWidth(ready) - 3;
  const inline = ownLine
    ? ''
    : workersLine(counted, inlineRoom) || (n.readyToLand || inlineRoom < 9 ? '' : '0 workers');
  // the VP's mandate under its name where the tile has a line to spare; otherwise in place of the host
  const mandateLine = n.mandate !== null && extra > (ownLine ? 1 : 0);
  const spare = extra - (ownLine ? 1 : 0) - (mandateLine ? 1 : 0);
  // the doing-now line already names the first of them
  const recent = n.link === 'up' ? n.recent.filter((r) => r.id !== n.doingSession).slice(0, spare) : [];
  const where = n.mandate !== null && !mandateLine ? n.mandate : n.host;
  const limited = n.link === 'up' ? rateLimitedText(n.rateLimited) : '';
  return (
    <Box
      width={width}
      height={height}
      borderStyle={focused ? 'double' : 'round'}
      borderColor={border}
      flexDirection="column"
      paddingX={1}
    >
      <Text wrap="truncate">
        <Text bold color={focused ? theme.focus.fg : theme.text.fg}>
          {padTo(fit(title, titleRoom), titleRoom)}
        </Text>{' '}
        {unsandboxed ? <Text color={theme.error}>{`${unsandboxed} `}</Text> : null}
        <Text color={theme.links[n.link]}>{link}</Text>
      </Text>
      {mandateLine ? (
        <Text wrap="truncate" italic color={theme.text.fg}>
          {clean(n.mandate, inner)}
        </Text>
      ) : null}
      <Text wrap="truncate" color={n.live > 0 ? theme.states.working : theme.text.dim}>
        {fit(counts(n, inner), inner)}
      </Text>
      <Text wrap="truncate">
        {waiting ? (
          <Text bold inverse color={theme.decision.fg}>
            {decisionPart}
          </Text>
        ) : (
          <Text color={theme.text.dim}>{decisionPart}</Text>
        )}
        {inline ? (
          <Text color={n.workers.running > 0 ? theme.states.working : theme.text.dim}>{` · ${inline}`}</Text>
        ) : null}
        {ready ? <Text color={theme.focus.fg}>{ready}</Text> : null}
      </Text>
      {ownLine ? (
        <Text wrap="truncate" color={n.workers.running > 0 ? theme.states.working : theme.text.dim}>
          {ownLine}
        </Text>
      ) : null}
      <Text wrap="truncate" color={n.link === 'up' ? (waiting ? theme.decision.fg : theme.text.fg) : theme.error}>
        {limited ? <Text color={theme.error}>{`${limited} · `}</Text> : null}
        {clean(n.doing, inner)}
      </Text>
      {recent.map((r) => (
        <Text key={r.id} wrap="truncate" color={theme.text.dim}>
          <Text color={theme.states[r.state]}>{'● '}</Text>
          {clean(`${r.id}: ${r.text}`, inner - 2)}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text wrap="truncate" color={theme.text.dim}>
        {fit(
          `${tokens(n.tokens)} tokens  ${dollars(n.costUsd)}${n.sessionModels ? `  ${n.sessionModels}` : ''}${where ? `  ${clean(where, inner)}` : ''}`,
          inner,
        )}
      </Text>
    </Box>
  );
});
