/**
 * A node's view: what it spent (a chart of its last hours); until when the API rate-limited it, if it did; the VPs
 * it carries (name, mandate, disciplines); its sessions as a selectable list (state, how its branch stands,
 * discipline, model, tokens and
 * cost with its workers', age, task), its open decisions, and the selected session's workers (`w` moves
 * into them).
 */
import { memo, useCallback } from 'react';
import { Box, Text } from 'ink';
import {
  readyToLand,
  usageTokens,
  type Decision,
  type FleetState,
  type SessionSummary,
  type SessionWorkers,
} from '../../cockpit/types.js';
import { landingCell } from '../landing-text.js';
import { useTui } from '../context.js';
import { visibleSessions } from '../select.js';
import { workersLayer } from '../layers.js';
import { workersHeight } from '../worker-layout.js';
import { WorkerTable } from './WorkerTable.js';
import { SpendLine } from './SpendLine.js';
import { age, doing, dollars, rateLimitedText, shortModel, stateText, tokens } from '../../cockpit/format.js';
import { decisionText } from '../../cockpit/budget-text.js';
import { clean, fit } from '../text.js';
import type { UiState } from '../ui-state.js';
import { sameItems, useFleet, useUi } from '../use-store.js';

interface Columns {
  id: number;
  state: number;
  model: number;
  landing: number;
  discipline: number;
  /** 0: not shown (a narrow terminal) */
  tokens: number;
  cost: number;
  age: number;
}
const WIDE: Columns = { id: 10, state: 15, model: 12, landing: 16, discipline: 14, tokens: 8, cost: 8, age: 5 };
const NARROW: Columns = { id: 10, state: 11, model: 7, landing: 10, discipline: 9, tokens: 0, cost: 7, age: 4 };

/** The columns for a width: under 110 columns the token count goes and the rest narrow, so the task keeps room. */
const columnsFor = (width: number): Columns => (width < 110 ? NARROW : WIDE);
const fixed = (c: Columns) =>
  2 +
  c.id +
  1 +
  c.state +
  1 +
  c.landing +
  1 +
  c.discipline +
  1 +
  c.model +
  (c.tokens ? c.tokens + 1 : 0) +
  1 +
  c.cost +
  1 +
  c.age +
  2;

const SessionRow = memo(function SessionRow({
  s,
  selected,
  width,
  waiting,
  workers,
}: {
  s: SessionSummary;
  selected: boolean;
  width: number;
  waiting: number;
  workers: SessionWorkers | undefined;
}) {
  const { theme } = useTui();
  const cols = columnsFor(width);
  const rest = Math.max(10, width - fixed(cols));
  const what = doing(s);
  const lead = `${selected ? '›' : ' '} ${fit(clean(s.id, cols.id), cols.id).padEnd(cols.id)} `;
  const ready = readyToLand(s);
  // what the session spent with its workers': its own process's usage, and theirs, each once
  const spentTokens = usageTokens(s.usage) + (workers?.counts.tokens ?? 0);
  const spentCost = s.usage.costUsd + (workers?.counts.costUsd ?? 0);
  const live = workers ? workers.counts.states.running + workers.counts.states.queued : 0;
  return (
    <Text wrap="truncate" inverse={selected}>
      <Text color={selected ? theme.focus.fg : theme.text.fg}>{lead}</Text>
      <Text color={theme.states[s.state]}>{fit(stateText(s), cols.state).padEnd(cols.state)}</Text>{' '}
      <Text color={ready ? theme.focus.fg : theme.text.dim} bold={ready}>
        {fit(landingCell(s, cols.landing), cols.landing).padEnd(cols.landing)}
      </Text>
      {` ${fit(clean(s.discipline, cols.discipline), cols.discipline).padEnd(cols.discipline)} ${fit(clean(shortModel(s.model), cols.model), cols.model).padEnd(cols.model)} ${cols.tokens ? `${tokens(spentTokens).padStart(cols.tokens)} ` : ''}${dollars(spentCost).padStart(cols.cost)} ${age(s.createdAt).padStart(cols.age)}  `}
      {waiting > 0 ? <Text bold color={theme.decision.fg}>{`⚑${waiting} `}</Text> : null}
      {live > 0 ? <Text color={theme.states.working}>{`w${workers!.counts.states.running}/${live} `}</Text> : null}
      {clean(`${s.task} — ${what}`, rest)}
    </Text>
  );
});

function DecisionLine({ d, width }: { d: Decision; width: number }) {
  const { theme } = useTui();
  return (
    <Text wrap="truncate" color={theme.decision.fg}>
      {fit(` ⚑ ${clean(d.session, 12)} ${clean(decisionText(d), width)}`, width)}
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
  const byWorkers = useFleet(useCallback((s: FleetState) => s.sessionWorkers.get(node), [node]));
  const spendShown = useFleet(useCallback((s: FleetState) => s.spend.has(node), [node]));
  const inList = useUi(useCallback((u: UiState) => workersLayer(u.stack), []));
  const shownDecisions = decisions.slice(0, 3);
  const selected = sessions.find((s) => s.id === cursor) ?? sessions[0];
  // the selected session's workers, under its list, when it has some or when the operator moved into them
  const focusedList = inList !== null && inList.node === node ? inList : null;
  const tableSession = focusedList?.session ?? selected?.id ?? null;
  const tableWorkers = tableSession ? byWorkers?.get(tableSession) : undefined;
  // the VPs it carries, a line each, under its name (at most a third of the view)
  const vps = (summary?.vps ?? []).slice(0, Math.max(1, Math.floor(height / 3)));
  const rest = height - 3 - vps.length - (spendShown ? 1 : 0) - (shownDecisions.length ? shownDecisions.length + 1 : 0);
  const tableHeight =
    tableSession && (focusedList || tableWorkers)
      ? workersHeight(rest, tableWorkers?.list.length ?? 0, !!focusedList)
      : 0;
  const listHeight = Math.max(1, rest - tableHeight);
  const at = selected ? sessions.indexOf(selected) : 0;
  const first = Math.max(0, Math.min(sessions.length - listHeight, at - listHeight + 1));
  const waitingBy = new Map<string, number>();
  for (const d of decisions) waitingBy.set(d.session, (waitingBy.get(d.session) ?? 0) + 1);
  const cols = columnsFor(width);
  const head = `  ${'SESSION'.padEnd(cols.id)} ${'STATE'.padEnd(cols.state)} ${'LANDING'.padEnd(cols.landing)} ${fit('DISCIPLINE', cols.discipline).padEnd(cols.discipline)} ${'MODEL'.padEnd(cols.model)} ${cols.tokens ? `${'TOKENS'.padStart(cols.tokens)} ` : ''}${'COST'.padStart(cols.cost)} ${'AGE'.padStart(cols.age)}  TASK — DOING NOW`;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate" bold>
        {` ${clean(node, 64)} `}
        {summary ? <Text color={theme.links[summary.link]}>{summary.link}</Text> : null}
        {summary?.rateLimited ? (
          <Text color={theme.error}>{`  ${rateLimitedText(summary.rateLimited)}: new starts wait`}</Text>
        ) : null}
        {summary ? (
          <Text
            color={theme.text.dim}
          >{`  ${summary.live} live · ${tokens(summary.tokens)} tokens · ${dollars(summary.costUsd)}${summary.error ? ` · ${clean(summary.error, 80)}` : ''}`}</Text>
        ) : null}
      </Text>
      {spendShown ? <SpendLine node={node} width={width} /> : null}
      {vps.map((v) => (
        <Text key={v.id} wrap="truncate">
          <Text bold color={theme.focus.fg}>{` ${clean(v.name, 40)}`}</Text>
          <Text>{`: ${clean(v.mandate, width)}`}</Text>
          <Text color={theme.text.dim}>{` (${clean(v.disciplines.join(', '), width)})`}</Text>
        </Text>
      ))}
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
            <SessionRow
              key={s.id}
              s={s}
              width={width}
              selected={s === selected}
              waiting={waitingBy.get(s.id) ?? 0}
              workers={byWorkers?.get(s.id)}
            />
          ))
      )}
      {tableHeight > 0 && tableSession ? (
        <Box marginTop={1} height={tableHeight} flexShrink={0}>
          <WorkerTable node={node} session={tableSession} width={width} height={tableHeight} focused={!!focusedList} />
        </Box>
      ) : null}
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
