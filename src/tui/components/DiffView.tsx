/**
 * A session's diff: one line about it, then the files changed with their lines added and removed, then the
 * patch, a page at a time (↑ ↓ PgUp PgDn scroll, Esc closes). The lines were made plain text when the
 * node's answer came (diff-lines.ts); here they are only cut to the width and coloured by what they are.
 */
import { memo, useCallback, useEffect } from 'react';
import { Box, Text } from 'ink';
import { useTui } from '../context.js';
import type { DiffTone } from '../diff-lines.js';
import type { DiffLayer } from '../layers.js';
import { clean, fit } from '../text.js';
import type { Theme } from '../theme.js';
import type { UiState } from '../ui-state.js';
import { useUi } from '../use-store.js';

function colour(theme: Theme, tone: DiffTone): string | undefined {
  switch (tone) {
    case 'add':
      return theme.states.working;
    case 'del':
      return theme.error;
    case 'hunk':
      return theme.focus.fg;
    case 'meta':
      return theme.text.dim;
    case 'warn':
      return theme.decision.fg;
    default:
      return theme.text.fg;
  }
}

const selectDiff = (u: UiState): DiffLayer | null => {
  for (let i = u.stack.length - 1; i >= 0; i--) {
    const l = u.stack[i]!;
    if (l.kind === 'diff') return l;
  }
  return null;
};

export const DiffView = memo(function DiffView({ width, height }: { width: number; height: number }) {
  const { controller, theme } = useTui();
  const diff = useUi(useCallback(selectDiff, []));
  const rows = Math.max(1, height - 1);
  useEffect(() => controller.setDiffRows(rows), [controller, rows]);
  if (!diff) return <Box width={width} height={height} />;
  const lines = diff.lines ?? [];
  const first = Math.min(diff.scroll, Math.max(0, lines.length - rows));
  const shown = lines.slice(first, first + rows);
  const where = diff.lines
    ? `lines ${lines.length === 0 ? 0 : first + 1}–${first + shown.length} of ${lines.length}`
    : 'asking its node…';
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate">
        <Text bold>{` diff of ${clean(diff.session, 20)} on ${clean(diff.node, 40)}`}</Text>
        <Text color={theme.text.dim}>{`  ${where}  (↑↓ PgUp PgDn scroll, M merge, Esc closes)`}</Text>
      </Text>
      {shown.map((l, i) => (
        <Text key={first + i} wrap="truncate" color={colour(theme, l.tone)} bold={l.tone === 'file'}>
          {l.text === '' ? ' ' : fit(l.text, width)}
        </Text>
      ))}
    </Box>
  );
});
