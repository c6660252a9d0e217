/** The bottom two lines: the message, input line or question of the moment; then the keys of the top layer. */
import { memo, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import { useTui } from '../context.js';
import { BINDINGS, keyLabel } from '../keys.js';
import { topLayer } from '../layers.js';
import { clean } from '../text.js';
import { stringWidth } from '../../terminal/index.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';

const selectUi = (u: UiState) => u;

export interface Hint {
  id: string;
  key: string;
  hint: string;
  /** disabled now */
  off: boolean;
}

/** `text` in two lines of `width` columns, broken at a space where one is near the end of the first; '' when one line holds it. */
export function twoLines(text: string, width: number): [string, string] {
  if (stringWidth(text) <= width) return [text, ''];
  const chars = Array.from(text);
  let w = 0;
  let cut = 0;
  while (cut < chars.length && w + stringWidth(chars[cut]!) <= width) w += stringWidth(chars[cut++]!);
  const space = chars.lastIndexOf(' ', cut);
  const at = space > cut / 2 ? space : cut;
  return [chars.slice(0, at).join(''), ` ${chars.slice(at).join('').trimStart()}`];
}

/** Kept whatever the width: how to get help and how to leave. */
const KEPT = new Set(['help', 'quit']);
const hintWidth = (h: Hint) => stringWidth(` ${h.key} ${h.hint} `);

/**
 * The hints that fit in `width` columns, in table order: when not all do, the disabled ones go first, then
 * the last ones; `?` help and `q` quit stay.
 */
export function fitHints(hints: readonly Hint[], width: number): Hint[] {
  const total = (hs: readonly Hint[]) => hs.reduce((a, h) => a + hintWidth(h), 0);
  let shown = [...hints];
  if (total(shown) <= width) return shown;
  shown = shown.filter((h) => !h.off || KEPT.has(h.id));
  while (total(shown) > width) {
    const drop = shown.findLastIndex((h) => !KEPT.has(h.id));
    if (drop < 0) break;
    shown.splice(drop, 1);
  }
  return shown;
}
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
    // a question takes both lines when it needs them: what it asks matters more than the key hints
    const [first, rest] = twoLines(` ${clean(top.message, 2 * width)}  (y: yes, n: no)`, width);
    if (rest) {
      return (
        <Box flexDirection="column" width={width} height={2}>
          <Text wrap="truncate" bold color={theme.decision.fg}>
            {first}
          </Text>
          <Text wrap="truncate" bold color={theme.decision.fg}>
            {rest}
          </Text>
        </Box>
      );
    }
    line = (
      <Text wrap="truncate" bold color={theme.decision.fg}>
        {first}
      </Text>
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
  const hints = fitHints(
    BINDINGS.filter((b) => b.hint && b.layers.includes(top.kind)).map((b) => ({
      id: b.id,
      key: keyLabel(b.keys[0]!),
      hint: b.hint!,
      off: b.disabledReason?.(c) != null,
    })),
    width,
  );
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Box height={1} width={width}>
        {line}
      </Box>
      <Box height={1} width={width}>
        <Text wrap="truncate">
          {hints.map((h) => (
            <Text key={h.id} color={h.off ? theme.text.dim : theme.text.fg} dimColor={h.off}>
              <Text bold={!h.off}>{` ${h.key}`}</Text>
              {` ${h.hint} `}
            </Text>
          ))}
        </Text>
      </Box>
    </Box>
  );
});
