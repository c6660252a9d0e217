/** The cockpit: header, the view in focus (fleet, node or session) or the help, and the footer; all within the terminal. */
import { Box } from 'ink';
import { useCallback } from 'react';
import type { CockpitPort } from '../../cockpit/types.js';
import { TuiContext, type TuiDeps } from '../context.js';
import type { Controller, FleetSource } from '../controller.js';
import { baseLayer, topLayer, type BaseLayer, type Layer } from '../layers.js';
import type { Theme } from '../theme.js';
import type { UiState } from '../ui-state.js';
import { useTerminalSize, useUi } from '../use-store.js';
import { FleetGrid } from './FleetGrid.js';
import { Footer } from './Footer.js';
import { DiffView } from './DiffView.js';
import { Header } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { InputOwner } from './InputOwner.js';
import { NewTaskForm } from './NewTaskForm.js';
import { NodeView } from './NodeView.js';
import { SessionView } from './SessionView.js';
import { WorkerOutputView } from './WorkerOutputView.js';

const HEADER = 2;
const FOOTER = 2;

const sameBase = (a: BaseLayer, b: BaseLayer) => JSON.stringify(a) === JSON.stringify(b);

/** The overlay that takes the body: the help on top, or the form, a diff or a worker's output under a question about it. */
function overlayOf(stack: readonly Layer[]): 'help' | 'form' | 'diff' | 'output' | null {
  if (topLayer(stack).kind === 'help') return 'help';
  for (let i = stack.length - 1; i >= 0; i--) {
    const k = stack[i]!.kind;
    if (k === 'form' || k === 'diff' || k === 'output') return k;
    if (k === 'fleet' || k === 'node' || k === 'session') return null;
  }
  return null;
}

function Body({ width, height }: { width: number; height: number }) {
  const base = useUi(
    useCallback((u: UiState) => baseLayer(u.stack), []),
    sameBase,
  );
  const overlay = useUi(useCallback((u: UiState) => overlayOf(u.stack), []));
  if (overlay === 'help') return <HelpOverlay width={width} height={height} />;
  if (overlay === 'form') return <NewTaskForm width={width} height={height} />;
  if (overlay === 'diff') return <DiffView width={width} height={height} />;
  if (overlay === 'output') return <WorkerOutputView width={width} height={height} />;
  if (base.kind === 'node') return <NodeView node={base.node} width={width} height={height} />;
  if (base.kind === 'session')
    return <SessionView node={base.node} session={base.session} width={width} height={height} />;
  return <FleetGrid width={width} height={height} />;
}

function Frame() {
  const { columns, rows } = useTerminalSize();
  // one column short of the edge: a full-width last column makes some terminals wrap
  const width = Math.max(20, columns - 1);
  // one row short of the bottom: a frame as tall as the terminal makes ink clear the screen on every frame
  const height = Math.max(HEADER + FOOTER + 1, rows - 1);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <InputOwner />
      <Header width={width} />
      <Body width={width} height={height - HEADER - FOOTER} />
      <Footer width={width} />
    </Box>
  );
}

export function App(props: { fleet: FleetSource; controller: Controller; port: CockpitPort; theme: Theme }) {
  const deps: TuiDeps = props;
  return (
    <TuiContext.Provider value={deps}>
      <Frame />
    </TuiContext.Provider>
  );
}
