/** A node's view: its sessions as a selectable list (state, task, discipline, tokens, age), and its open decisions. */
import { memo, useCallback } from 'react';
import { Box, Text } from 'ink';
import { usageTokens, type Decision, type FleetState, type SessionSummary } from '../../cockpit/types.js';
import { useTui } from '../context.js';
import { visibleSessions } from '../select.js';
import { age, doing, dollars, tokens } from '../../cockpit/format.js';
import { clean, fit } from '../text.js';
import type { UiState } from '../ui-state.js';
import { sameItems, useFleet, useUi } from '../use-store.js';

const COLS = { id: 10, state: 12, discipline: 14, tokens: 8, cost: 8, age: 5 };
const FIXED = COLS.id + COLS.state + COLS.discipline + COLS.tokens + COLS.cost + COLS.age + 8;

const SessionRow = memo(function SessionRow({
  s,
  selected,
  width,
  waiting,
}: {
  s: SessionSummary;
  selected: boolean;
  width: number;
  waiting: number;
}) {
  const { theme } = useTui();
  const rest = Math.max(10, width - FIXED);
  const what = doing(s);
  const lead = `${selected ? '›' : ' '} ${fit(clean(s.id, COLS.id), COLS.id).padEnd(COLS.id)} `;
  return (
    <Text wrap="truncate" inverse={selected}>
      <Text color={selected ? theme.focus.fg : theme.text.fg}>{lead}</Text>
      <Text color={theme.states[s.state]}>{s.state.padEnd(COLS.state)}</Text>
      {` ${fit(clean(s.discipline, COLS.discipline), COLS.discipline).padEnd(COLS.discipline)} ${tokens(usageTokens(s.usage)).padStart(COLS.tokens)} ${dollars(s.usage.costUsd).padStart(COLS.cost)} ${age(s.createdAt).padStart(COLS.age)}  `}
      {waiting > 0 ? <Text bold color={theme.decision.fg}>{`⚑${waiting} `}</Text> : null}
      {clean(`${s.task} — ${what}`, rest)}
    </Text>
  );
});

function DecisionLine({ d, width }: { d: Decision; width: number }) {
  const { theme } = useTui();
  return (
    <Text wrap="truncate" color={theme.decision.fg}>
      {fit(` ⚑ ${clean(d.session, 12)} ${clean(d.tool, 20)}: ${clean(d.summary, width)}`, width)}
    </Text>
  );
}

const sameDecisions = (a: readonly Decision[], b: readonly Decision[]) => sameItems(a, b);

export const NodeView = memo(function NodeView({
  node,
  width,
  height,
}: {
  node: string;
  width: number;
  height: number;
}) {
  const { theme } = useTui();
  const filter = useUi(useCallback((u: UiState) => u.filter, []));
  const cursor = useUi(useCallback((u: UiState) => u.sessionCursor[node], [node]));
  const sessions = useFleet(
    useCallback((s: FleetState) => visibleSessions(s, node, filter), [node, filter]),
    sameItems,
  );
  const summary = useFleet(useCallback((s: FleetState) => s.nodes.get(node), [node]));
  const decisions = useFleet(
    useCallback((s: FleetState) => s.decisions.filter((d) => d.node === node), [node]),
    sameDecisions,
  );
  const shownDecisions = decisions.slice(0, 3);
  const listHeight = Math.max(1, height - 3 - (shownDecisions.length ? shownDecisions.length + 1 : 0));
  const selected = sessions.find((s) => s.id === cursor) ?? sessions[0];
  const at = selected ? sessions.indexOf(selected) : 0;
  const first = Math.max(0, Math.min(sessions.length - listHeight, at - listHeight + 1));
  const waitingBy = new Map<string, number>();
  for (const d of decisions) waitingBy.set(d.session, (waitingBy.get(d.session) ?? 0) + 1);
  const head = `  ${'SESSION'.padEnd(COLS.id)} ${'STATE'.padEnd(COLS.state)} ${'DISCIPLINE'.padEnd(COLS.discipline)} ${'TOKENS'.padStart(COLS.tokens)} ${'COST'.padStart(COLS.cost)} ${'AGE'.padStart(COLS.age)}  TASK — DOING NOW`;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate" bold>
        {` ${clean(node, 64)} `}
        {summary ? <Text color={theme.links[summary.link]}>{summary.link}</Text> : null}
        {summary ? (
          <Text
            color={theme.text.dim}
          >{`  ${summary.live} live · ${tokens(summary.tokens)} tokens · ${dollars(summary.costUsd)}${summary.error ? ` · ${clean(summary.error, 80)}` : ''}`}</Text>
        ) : null}
      </Text>
      <Text wrap="truncate" color={theme.text.dim}>
        {fit(head, width)}
      </Text>
      {sessions.length === 0 ? (
        <Text color={theme.text.dim}>
          {filter ? '  no session matches the filter' : '  no sessions: n starts a new task here'}
        </Text>
      ) : (
        sessions
          .slice(first, first + listHeight)
          .map((s) => (
            <SessionRow key={s.id} s={s} width={width} selected={s === selected} waiting={waitingBy.get(s.id) ?? 0} />
          ))
      )}
      {shownDecisions.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          {shownDecisions.map((d) => (
            <DecisionLine key={d.id} d={d} width={width} />
          ))}
        </Box>
      ) : null}
    </Box>
  );
});
