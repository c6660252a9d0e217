/**
 * A session's workers as a table that fits its width: state, model, name, age, tokens, cost, then its task
 * and what it is doing; running ones first, then queued, then ended ones newest first (the store's order).
 * In focus (the workers list, `w`), the selected row is marked and kept in view as the cursor moves.
 */
import { memo, useCallback } from 'react';
import { Box, Text } from 'ink';
import {
  liveModelsText,
  statesText,
  usageTokens,
  workerDoing,
  type FleetState,
  type WorkerSummary,
} from '../../cockpit/types.js';
import { useTui } from '../context.js';
import { age, dollars, tokens } from '../../cockpit/format.js';
import { pickWorker, sessionWorkers, workerCursorKey } from '../select.js';
import { clean, fit } from '../text.js';
import { stringWidth } from '../../terminal/index.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';
import { workerColour } from '../worker-text.js';
import { WORKER_TABLE_CHROME } from '../worker-layout.js';

interface Columns {
  name: number;
  state: number;
  model: number;
  age: number;
  /** 0: not shown (a narrow terminal) */
  tokens: number;
  cost: number;
}
const WIDE: Columns = { name: 18, state: 8, model: 6, age: 5, tokens: 8, cost: 8 };
const NARROW: Columns = { name: 12, state: 8, model: 6, age: 4, tokens: 0, cost: 7 };
const columnsFor = (width: number): Columns => (width < 110 ? NARROW : WIDE);
const fixed = (c: Columns) =>
  2 + c.name + 1 + c.state + 1 + c.model + 1 + c.age + (c.tokens ? c.tokens + 1 : 0) + 1 + c.cost + 2;

const WorkerRow = memo(function WorkerRow({
  w,
  selected,
  width,
  now,
}: {
  w: WorkerSummary;
  selected: boolean;
  width: number;
  now: number;
}) {
  const { theme } = useTui();
  const cols = columnsFor(width);
  const rest = Math.max(8, width - fixed(cols));
  const doing = workerDoing(w);
  return (
    <Text wrap="truncate" inverse={selected}>
      <Text color={selected ? theme.focus.fg : theme.text.fg}>
        {`${selected ? '›' : ' '} ${fit(clean(w.name, cols.name), cols.name).padEnd(cols.name)} `}
      </Text>
      <Text color={workerColour(theme, w.state)}>{fit(w.state, cols.state).padEnd(cols.state)}</Text>
      {` ${fit(clean(w.model, cols.model), cols.model).padEnd(cols.model)} ${age(w.createdAt, now).padStart(cols.age)} ${cols.tokens ? `${tokens(usageTokens(w.usage)).padStart(cols.tokens)} ` : ''}${dollars(w.usage.costUsd).padStart(cols.cost)}  `}
      {w.attempts > 1 ? <Text color={theme.decision.fg}>{`×${w.attempts} `}</Text> : null}
      {clean(doing ? `${w.task} — ${doing}` : w.task, rest)}
    </Text>
  );
});

/** The column heads, and at the right end what fits of where the list is and how to move into it. */
function headLine(head: string, tail: string, width: number): string {
  const room = Math.max(10, width - stringWidth(tail));
  return `${fit(head, room).padEnd(room)}${tail}`;
}

export const WorkerTable = memo(function WorkerTable({
  node,
  session,
  width,
  height,
  focused,
}: {
  node: string;
  session: string;
  width: number;
  height: number;
  focused: boolean;
}) {
  const { theme } = useTui();
  const workers = useFleet(useCallback((s: FleetState) => sessionWorkers(s, node, session), [node, session]));
  const id = useUi(useCallback((u: UiState) => u.workerCursor[workerCursorKey(node, session)], [node, session]));
  const list = workers?.list ?? [];
  const selected = focused ? pickWorker(list, id) : null;
  const rows = Math.max(1, height - WORKER_TABLE_CHROME);
  const at = selected ? list.indexOf(selected) : 0;
  const first = Math.max(0, Math.min(list.length - rows, at - rows + 1));
  const cols = columnsFor(width);
  const c = workers?.counts;
  const models = c ? liveModelsText(c, ' · ') : '';
  const title = c
    ? `workers of ${clean(session, 20)}: ${statesText(c, ' · ')}${models ? ` │ ${models}` : ''} │ ${tokens(c.tokens)} tokens ${dollars(c.costUsd)}`
    : `workers of ${clean(session, 20)}`;
  const where = list.length > rows ? `  ${first + 1}–${Math.min(list.length, first + rows)} of ${list.length}` : '';
  const hint = !focused && list.length > 0 ? '  (w: choose one)' : '';
  const head = `  ${'WORKER'.padEnd(cols.name)} ${'STATE'.padEnd(cols.state)} ${'MODEL'.padEnd(cols.model)} ${'AGE'.padStart(cols.age)} ${cols.tokens ? `${'TOKENS'.padStart(cols.tokens)} ` : ''}${'COST'.padStart(cols.cost)}  TASK — DOING NOW`;
  const now = Date.now();
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate">
        <Text bold color={focused ? theme.focus.fg : theme.text.fg}>{` ${fit(title, width - 1)}`}</Text>
      </Text>
      <Text wrap="truncate" color={theme.text.dim}>
        {headLine(head, `${where}${stringWidth(head) + where.length + hint.length <= width ? hint : ''}`, width)}
      </Text>
      {list.length === 0 ? (
        <Text wrap="truncate" color={theme.text.dim}>
          {fit('  no workers: a session starts them with its agency tools (spawn_workers)', width)}
        </Text>
      ) : (
        list
          .slice(first, first + rows)
          .map((w) => <WorkerRow key={w.id} w={w} width={width} selected={w === selected} now={now} />)
      )}
    </Box>
  );
});
