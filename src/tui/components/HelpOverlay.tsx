/** The help overlay: every binding of the key table, with where it applies and, if it cannot run now, why. */
import { memo } from 'react';
import { Box, Text } from 'ink';
import { useTui } from '../context.js';
import { BINDINGS, LAYER_NAMES, keysLabel, type Binding } from '../keys.js';
import type { UiState } from '../ui-state.js';
import { useUi } from '../use-store.js';
import { clean, fit } from '../text.js';

const selectScroll = (u: UiState) => u.helpScroll;
const selectState = (u: UiState) => u;

export const HelpOverlay = memo(function HelpOverlay({ width, height }: { width: number; height: number }) {
  const { controller, theme } = useTui();
  const scroll = useUi(selectScroll);
  useUi(selectState); // a why-not can change with any UI change
  // why a binding cannot run, as seen from the view under the help
  const c = controller.context();
  const under = c.ui.stack[c.ui.stack.length - 2];
  const ctx = under ? { ...c, top: under } : c;
  const keysWidth = Math.max(...BINDINGS.map((b) => keysLabel(b).length)) + 2;
  const whereWidth = 30;
  const room = Math.max(10, width - keysWidth - whereWidth - 6);
  const lines = BINDINGS.map((b: Binding) => {
    const applies = b.layers.includes(ctx.top.kind);
    const why = applies ? (b.disabledReason?.(ctx) ?? null) : null;
    return { b, why };
  });
  const body = Math.max(1, height - 4);
  const first = Math.min(scroll, Math.max(0, lines.length - body));
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle="round"
      borderColor={theme.focus.border}
      paddingX={1}
      overflow="hidden"
    >
      <Text bold color={theme.focus.fg}>
        {fit('keys (Esc or ? closes; ↑↓ scroll)', width - 4)}
      </Text>
      <Text
        color={theme.text.dim}
        wrap="truncate"
      >{`${'KEYS'.padEnd(keysWidth)}${'WHERE'.padEnd(whereWidth)}WHAT`}</Text>
      {lines.slice(first, first + body).map(({ b, why }) => (
        <Text key={b.id} wrap="truncate">
          <Text bold>{keysLabel(b).padEnd(keysWidth)}</Text>
          <Text color={theme.text.dim}>
            {fit(b.layers.map((l) => LAYER_NAMES[l]).join(', '), whereWidth - 1).padEnd(whereWidth)}
          </Text>
          <Text color={why ? theme.text.dim : theme.text.fg}>{fit(b.description, room)}</Text>
          {why ? <Text color={theme.decision.fg}>{`  (now: ${clean(why, 200)})`}</Text> : null}
        </Text>
      ))}
    </Box>
  );
});
