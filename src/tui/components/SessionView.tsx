/**
 * A session's view: one line about it (state, task, what it and its workers spent), how its branch stands
 * when its node has measured it, the decision waiting if any, its workers when it has some (or when the
 * operator moved into them with `w`), then its live terminal.
 */
import { memo, useCallback } from 'react';
import { Box, Text } from 'ink';
import { readyToLand, usageTokens, type Decision, type FleetState } from '../../cockpit/types.js';
import { landingText } from '../landing-text.js';
import { useTui } from '../context.js';
import { findSession, sessionWorkers } from '../select.js';
import { workersLayer } from '../layers.js';
import { workersHeight } from '../worker-layout.js';
import { WorkerTable } from './WorkerTable.js';
import { dollars, stateText, tokens } from '../../cockpit/format.js';
import { budgetStopOf, decisionText } from '../../cockpit/budget-text.js';
import { clean } from '../text.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';
import { SessionPane } from './SessionPane.js';

export const SessionView = memo(function SessionView({
  node,
  session,
  width,
  height,
}: {
  node: string;
  session: string;
  width: number;
  height: number;
}) {
  const { theme } = useTui();
  const s = useFleet(useCallback((f: FleetState) => findSession(f, node, session), [node, session]));
  const decision = useFleet(
    useCallback(
      (f: FleetState): Decision | null => f.decisions.find((d) => d.node === node && d.session === session) ?? null,
      [node, session],
    ),
  );
  const takeover = useUi(useCallback((u: UiState) => u.stack.some((l) => l.kind === 'takeover'), []));
  const scroll = useUi(useCallback((u: UiState) => u.scroll, []));
  const workers = useFleet(useCallback((f: FleetState) => sessionWorkers(f, node, session), [node, session]));
  const inList = useUi(
    useCallback(
      (u: UiState) => {
        const l = workersLayer(u.stack);
        return l !== null && l.node === node && l.session === session;
      },
      [node, session],
    ),
  );
  const landing = s ? landingText(s) : '';
  const lines = 1 + (decision ? 1 : 0) + (landing ? 1 : 0);
  // the pane keeps at least three rows of the session's screen
  const table = inList || workers ? workersHeight(height - lines - 3, workers?.list.length ?? 0, inList) : 0;
  const paneHeight = height - lines - table;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{` ${clean(session, 20)} `}</Text>
        {s ? <Text color={theme.states[s.state]}>{stateText(s)}</Text> : <Text color={theme.text.dim}>unknown</Text>}
        {s ? (
          <Text
            color={theme.text.dim}
          >{`  ${clean(s.discipline, 20)} · ${tokens(usageTokens(s.usage) + (workers?.counts.tokens ?? 0))} tokens · ${dollars(s.usage.costUsd + (workers?.counts.costUsd ?? 0))}${workers ? ' with its workers' : ''} · `}</Text>
        ) : null}
        {s ? clean(s.task, width) : null}
        {scroll > 0 ? <Text color={theme.focus.fg}>{`  [${scroll} lines back: End returns]`}</Text> : null}
      </Text>
      {landing ? (
        <Text wrap="truncate" color={s && readyToLand(s) ? theme.focus.fg : theme.text.dim}>
          {` ${clean(s?.branch, 60)}: ${clean(landing, width)}`}
        </Text>
      ) : null}
      {decision ? (
        <Text
          wrap="truncate"
          bold
          color={theme.decision.fg}
        >{` ⚑ waiting for you: ${budgetStopOf(decision) ? clean(decisionText(decision), width) : `${clean(decision.tool, 20)} ${clean(decision.summary, width)}`}  (a approve, d deny)`}</Text>
      ) : null}
      {table > 0 ? (
        <Box height={table} flexShrink={0}>
          <WorkerTable node={node} session={session} width={width} height={table} focused={inList} />
        </Box>
      ) : null}
      <Box
        borderStyle={takeover ? 'double' : 'single'}
        borderColor={takeover ? theme.decision.border : theme.tile.border}
        width={width}
        height={paneHeight}
      >
        <SessionPane node={node} session={session} width={width - 2} height={paneHeight - 2} showCursor={takeover} />
      </Box>
    </Box>
  );
});
