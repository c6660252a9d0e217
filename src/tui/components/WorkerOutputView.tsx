/**
 * A worker's output: one line about it (state, model, tries, tokens, cost), then what it said and which
 * tools it called, then its result, a page at a time (↑ ↓ PgUp PgDn scroll, End follows the end, Esc
 * closes). While it is shown it is kept up to date: asked for again on every report of the worker, and on
 * a timer while the worker has not ended. The lines were made plain text when they came (output-lines.ts).
 */
import { memo, useCallback, useEffect } from 'react';
import { Box, Text } from 'ink';
import { isWorkerLive, usageTokens, type FleetState } from '../../cockpit/types.js';
import { dollars, tokens } from '../../cockpit/format.js';
import { useTui } from '../context.js';
import { outputLayer } from '../layers.js';
import type { OutputTone } from '../output-lines.js';
import { findWorker } from '../select.js';
import { clean, fit } from '../text.js';
import type { Theme } from '../theme.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';
import { workerColour } from '../worker-text.js';

/** How often a running worker's output is asked for when no report of it comes (a report asks at once). */
export const OUTPUT_REFRESH_MS = 2000;

function colour(theme: Theme, tone: OutputTone) {
  return tone === 'meta' ? theme.text.dim : tone === 'result' ? theme.focus.fg : theme.text.fg;
}

export const WorkerOutputView = memo(function WorkerOutputView({ width, height }: { width: number; height: number }) {
  const { controller, theme } = useTui();
  const view = useUi(useCallback((u: UiState) => outputLayer(u.stack), []));
  const node = view?.node ?? '';
  const id = view?.worker ?? '';
  const w = useFleet(useCallback((s: FleetState) => findWorker(s, node, id), [node, id]));
  const rows = Math.max(1, height - 2);
  useEffect(() => controller.setOutputRows(rows), [controller, rows]);
  // asked for when shown, and again on every report of the worker (the store gives a new one when it changes)
  useEffect(() => {
    if (id) controller.refreshOutput();
  }, [controller, id, w]);
  const live = w ? isWorkerLive(w) : false;
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => controller.refreshOutput(), OUTPUT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [controller, live, id]);
  if (!view) return <Box width={width} height={height} />;
  const lines = view.lines ?? [];
  const max = Math.max(0, lines.length - rows);
  const first = view.follow ? max : Math.min(view.scroll, max);
  const shown = lines.slice(first, first + rows);
  const where = view.lines
    ? `lines ${lines.length === 0 ? 0 : first + 1}–${first + shown.length} of ${lines.length}${view.follow ? ' (following)' : ''}`
    : view.error
      ? ''
      : 'asking its node…';
  const about = w
    ? `${clean(w.model, 8)} · tries ${w.attempts} · ${tokens(usageTokens(w.usage))} tokens ${dollars(w.usage.costUsd)} · of ${clean(w.session, 20)}, run ${clean(w.run, 20)}`
    : 'no longer listed by its node';
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate">
        <Text bold>{` output of ${clean(w?.name ?? id, 24)} (${clean(id, 16)}) `}</Text>
        {w ? <Text color={workerColour(theme, w.state)}>{w.state}</Text> : null}
        <Text color={theme.text.dim}>{`  ${about}`}</Text>
      </Text>
      <Text wrap="truncate" color={theme.text.dim}>
        {fit(
          ` ${where}${where ? '  ' : ''}↑↓ PgUp PgDn scroll · End follows · s stop · S stop run · Esc closes`,
          width,
        )}
      </Text>
      {view.error ? (
        <Text wrap="truncate" color={theme.error}>
          {` ${clean(`could not get its output: ${view.error}`, width - 2)}`}
        </Text>
      ) : null}
      {shown.slice(0, view.error ? rows - 1 : rows).map((l, i) => (
        <Text key={first + i} wrap="truncate" color={colour(theme, l.tone)}>
          {l.text === '' ? ' ' : fit(l.text, width)}
        </Text>
      ))}
    </Box>
  );
});
