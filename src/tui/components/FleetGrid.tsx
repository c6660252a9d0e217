/** The fleet view: one tile per node, as many to a row as fit, reflowing on resize; scrolls to keep focus in view. */
import { memo, useCallback, useEffect } from 'react';
import { Box, Text } from 'ink';
import type { FleetState } from '../../cockpit/types.js';
import { useTui } from '../context.js';
import { visibleNodes } from '../select.js';
import type { UiState } from '../ui-state.js';
import { sameItems, useFleet, useUi } from '../use-store.js';
import { TILE_MAX_HEIGHT, TILE_MIN_HEIGHT, TILE_MIN_WIDTH, VpTile } from './VpTile.js';

const selectFilter = (u: UiState) => u.filter;
const selectCursor = (u: UiState) => u.nodeCursor;

export function gridColumns(width: number): number {
  return Math.max(1, Math.floor(width / TILE_MIN_WIDTH));
}

export const FleetGrid = memo(function FleetGrid({ width, height }: { width: number; height: number }) {
  const { controller, theme } = useTui();
  const filter = useUi(selectFilter);
  const cursor = useUi(selectCursor);
  const select = useCallback((s: FleetState) => visibleNodes(s, filter), [filter]);
  const nodes = useFleet(select, sameItems);
  const columns = gridColumns(width);
  useEffect(() => controller.setColumns(columns), [controller, columns]);
  if (nodes.length === 0) {
    return (
      <Box width={width} height={height}>
        <Text color={theme.text.dim}>
          {filter ? ' no node or session matches the filter (Esc clears it)' : ' no nodes'}
        </Text>
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
    <Box flexDirection="column" width={width} height={height}>
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
    </Box>
  );
});
