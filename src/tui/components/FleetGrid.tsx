/**
 * The fleet view: one tile per node, as many to a row as fit, reflowing on resize; scrolls to keep focus in
 * view. A fleet with no sessions, or with no node reachable, says under the tiles what to do first.
 */
import { memo, useCallback, useEffect } from 'react';
import { Box, Text } from 'ink';
import type { FleetState } from '../../cockpit/types.js';
import { useTui } from '../context.js';
import { visibleNodes } from '../select.js';
import { firstSteps } from '../advice.js';
import { clean } from '../text.js';
import { stringWidth } from '../../terminal/index.js';
import type { UiState } from '../ui-state.js';
import { sameItems, useFleet, useUi } from '../use-store.js';
import { TILE_MAX_HEIGHT, TILE_MIN_HEIGHT, TILE_MIN_WIDTH, VpTile } from './VpTile.js';

const selectFilter = (u: UiState) => u.filter;
const selectCursor = (u: UiState) => u.nodeCursor;

export function gridColumns(width: number): number {
  return Math.max(1, Math.floor(width / TILE_MIN_WIDTH));
}

/** What to do first, under the tiles, while the fleet has no sessions or no node is reachable. */
function Advice({ text, width }: { text: string; width: number }) {
  const { theme } = useTui();
  return (
    <Box width={width} height={adviceRows(text, width)} paddingX={1}>
      <Text wrap="wrap" color={theme.decision.fg}>
        {clean(text, (width - 2) * ADVICE_ROWS)}
      </Text>
    </Box>
  );
}

const ADVICE_ROWS = 3;
const adviceRows = (text: string, width: number) =>
  Math.min(ADVICE_ROWS, Math.ceil(stringWidth(text) / Math.max(1, width - 2)));

export const FleetGrid = memo(function FleetGrid({ width, height: body }: { width: number; height: number }) {
  const { controller, theme } = useTui();
  const filter = useUi(selectFilter);
  const cursor = useUi(selectCursor);
  const select = useCallback((s: FleetState) => visibleNodes(s, filter), [filter]);
  const nodes = useFleet(select, sameItems);
  const advice = useFleet(firstSteps);
  const columns = gridColumns(width);
  useEffect(() => controller.setColumns(columns), [controller, columns]);
  const shownAdvice = advice && !filter ? advice : null;
  const height = shownAdvice ? Math.max(TILE_MIN_HEIGHT, body - adviceRows(shownAdvice, width)) : body;
  const tail = shownAdvice ? <Advice text={shownAdvice} width={width} /> : null;
  if (nodes.length === 0) {
    return (
      <Box width={width} height={body} flexDirection="column">
        <Text color={theme.text.dim}>
          {filter ? ' no node or session matches the filter (Esc clears it)' : ' no nodes'}
        </Text>
        {tail}
      </Box>
    );
  }
  const tileWidth = Math.floor(width / columns);
  const focused = cursor && nodes.includes(cursor) ? cursor : nodes[0]!;
  const rows: string[][] = [];
  for (let i = 0; i < nodes.length; i += columns) rows.push(nodes.slice(i, i + columns));
  // tiles grow to share the height when all rows fit; when not, one line says which rows are shown
  const all = Math.floor(height / TILE_MIN_HEIGHT);
  const rowsFit = Math.max(1, rows.length > all ? Math.floor((height - 1) / TILE_MIN_HEIGHT) : all);
  const tileHeight =
    rows.length > all
      ? TILE_MIN_HEIGHT
      : Math.max(TILE_MIN_HEIGHT, Math.min(TILE_MAX_HEIGHT, Math.floor(height / rows.length)));
  const focusRow = Math.floor(nodes.indexOf(focused) / columns);
  const first = Math.max(0, Math.min(rows.length - rowsFit, focusRow - rowsFit + 1));
  return (
    <Box flexDirection="column" width={width} height={body} overflow="hidden">
      {rows.slice(first, first + rowsFit).map((row) => (
        <Box key={row[0]} flexDirection="row" height={tileHeight}>
          {row.map((name) => (
            <VpTile key={name} name={name} width={tileWidth} height={tileHeight} focused={name === focused} />
          ))}
        </Box>
      ))}
      {rows.length > rowsFit ? (
        <Text
          color={theme.text.dim}
        >{` rows ${first + 1}–${Math.min(rows.length, first + rowsFit)} of ${rows.length}`}</Text>
      ) : null}
      {tail}
    </Box>
  );
});
