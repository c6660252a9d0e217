/**
 * A session's live terminal, drawn from the headless screen's rows (never from the bytes as they came),
 * cut to the pane. The pane subscribes to the session's bytes while it is mounted, that is while it is
 * on screen, and unsubscribes when it goes. The remote PTY keeps its size: the pane shows a window of it.
 */
import { memo, useEffect, useMemo, useState } from 'react';
import { Box, Text } from 'ink';
import { renderStyledLine, type StyledLine } from '../../terminal/index.js';
import { useTui } from '../context.js';
import { PaneScreen } from '../pane.js';
import { clean, fit } from '../text.js';
import type { UiState } from '../ui-state.js';
import { useUi } from '../use-store.js';

const selectScroll = (u: UiState) => u.scroll;

/** The line with the cell under the cursor shown inverted. */
export function withCursor(line: StyledLine, x: number): StyledLine {
  const out: StyledLine = [];
  let col = 0;
  let placed = false;
  for (const run of line) {
    if (placed || x < col || x >= col + run.width) {
      out.push(run);
      col += run.width;
      continue;
    }
    const chars = Array.from(run.text);
    const perChar = chars.length === run.width;
    if (!perChar) {
      out.push({ ...run, style: { ...run.style, inverse: true } });
    } else {
      const i = x - col;
      if (i > 0) out.push({ text: chars.slice(0, i).join(''), width: i, style: run.style });
      out.push({
        text: chars[i]!,
        width: 1,
        style: { ...run.style, inverse: run.style.inverse ? undefined : true } as typeof run.style,
      });
      if (i + 1 < chars.length)
        out.push({ text: chars.slice(i + 1).join(''), width: chars.length - i - 1, style: run.style });
    }
    placed = true;
    col += run.width;
  }
  if (!placed) {
    if (x > col) out.push({ text: ' '.repeat(x - col), width: x - col, style: {} });
    out.push({ text: ' ', width: 1, style: { inverse: true } });
  }
  return out;
}

export const SessionPane = memo(function SessionPane({
  node,
  session,
  width,
  height,
  showCursor,
}: {
  node: string;
  session: string;
  width: number;
  height: number;
  showCursor: boolean;
}) {
  const { port, controller, theme } = useTui();
  const scroll = useUi(selectScroll);
  const pane = useMemo(() => new PaneScreen(port, node, session), [port, node, session]);
  const [, setVersion] = useState(0);
  useEffect(() => {
    const sub = pane.onChange(() => setVersion(pane.changes));
    void pane.start();
    return () => {
      sub.dispose();
      controller.setPane(null);
      pane.dispose();
    };
  }, [pane, controller]);
  const view = pane.view(height, scroll);
  useEffect(() => {
    controller.setPane({
      rows: height,
      scrollMax: view.scrollMax,
      modes: () => pane.screen?.inputModes() ?? { applicationCursorKeys: false },
    });
  });
  if (pane.error)
    return (
      <Box width={width} height={height}>
        <Text
          color={theme.error}
          wrap="truncate"
        >{` cannot show ${clean(session, 20)}: ${clean(pane.error, width)}`}</Text>
      </Box>
    );
  if (!pane.screen)
    return (
      <Box width={width} height={height}>
        <Text color={theme.text.dim}>{' connecting to the session’s terminal…'}</Text>
      </Box>
    );
  const cols = Math.min(width, pane.screen.cols);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {view.rows.map((r, i) => {
        if (r.kind === 'scrollback')
          return (
            <Text key={i} wrap="truncate" color={theme.text.dim}>
              {fit(r.text, cols) || ' '}
            </Text>
          );
        const line =
          showCursor && view.cursor?.visible && view.cursor.y === i ? withCursor(r.line, view.cursor.x) : r.line;
        return (
          <Text key={i} wrap="truncate">
            {renderStyledLine(line, cols)}
          </Text>
        );
      })}
    </Box>
  );
});
