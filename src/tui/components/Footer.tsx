/** The bottom two lines: the message, input line or question of the moment; then the keys of the top layer. */
import { memo, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import { useTui } from '../context.js';
import { BINDINGS, keyLabel } from '../keys.js';
import { topLayer } from '../layers.js';
import { clean } from '../text.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';

const selectUi = (u: UiState) => u;
const selectVersion = (s: { version: number }) => s.version;

export const Footer = memo(function Footer({ width }: { width: number }) {
  const { controller, theme } = useTui();
  const ui = useUi(selectUi);
  useFleet(selectVersion); // whether a key is enabled can change with the fleet
  const top = topLayer(ui.stack);
  const c = controller.context();
  let line: ReactNode;
  if (top.kind === 'prompt') {
    line = (
      <Text wrap="truncate">
        <Text bold color={theme.focus.fg}>{` ${clean(top.title, 60)}: `}</Text>
        {Array.from(top.text)
          .slice(-Math.max(1, width - top.title.length - 6))
          .join('')}
        <Text inverse> </Text>
      </Text>
    );
  } else if (top.kind === 'confirm') {
    line = (
      <Text wrap="truncate" bold color={theme.decision.fg}>{` ${clean(top.message, width)}  (y: yes, n: no)`}</Text>
    );
  } else if (top.kind === 'takeover') {
    line = (
      <Text
        wrap="truncate"
        bold
        inverse
        color={theme.decision.fg}
      >{` TAKEOVER of ${clean(top.session, 20)} on ${clean(top.node, 40)}: every key goes to the session; Ctrl-] gives the keyboard back `}</Text>
    );
  } else if (ui.message) {
    const colour =
      ui.message.tone === 'error' ? theme.error : ui.message.tone === 'why' ? theme.decision.fg : theme.text.fg;
    line = <Text wrap="truncate" color={colour}>{` ${clean(ui.message.text, width)}`}</Text>;
  } else {
    line = <Text> </Text>;
  }
  const hints = BINDINGS.filter((b) => b.hint && b.layers.includes(top.kind)).map((b) => ({
    key: keyLabel(b.keys[0]!),
    hint: b.hint!,
    off: b.disabledReason?.(c) != null,
  }));
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Box height={1} width={width}>
        {line}
      </Box>
      <Box height={1} width={width}>
        <Text wrap="truncate">
          {hints.map((h) => (
            <Text key={h.hint} color={h.off ? theme.text.dim : theme.text.fg} dimColor={h.off}>
              <Text bold={!h.off}>{` ${h.key}`}</Text>
              {` ${h.hint} `}
            </Text>
          ))}
        </Text>
      </Box>
    </Box>
  );
});
