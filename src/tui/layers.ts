/**
 * Focus as a stack of layers: the fleet at the bottom, a node and a session above it, and overlays (help,
 * an input line, a confirmation, a takeover) on top. Only the top layer receives keys; Escape pops it.
 */
export type PromptPurpose = 'send' | 'run' | 'filter';

export type Layer =
  | { kind: 'fleet' }
  | { kind: 'node'; node: string }
  | { kind: 'session'; node: string; session: string }
  | { kind: 'help' }
  | { kind: 'prompt'; purpose: PromptPurpose; title: string; text: string; node?: string; session?: string }
  | { kind: 'confirm'; message: string; onYes: () => void }
  | { kind: 'takeover'; node: string; session: string };

export type LayerKind = Layer['kind'];

export const LAYER_KINDS: readonly LayerKind[] = ['fleet', 'node', 'session', 'help', 'prompt', 'confirm', 'takeover'];

/** The view under the overlays: what the body of the screen shows. */
export type BaseLayer = Extract<Layer, { kind: 'fleet' | 'node' | 'session' }>;

export function baseLayer(stack: readonly Layer[]): BaseLayer {
  for (let i = stack.length - 1; i >= 0; i--) {
    const l = stack[i]!;
    if (l.kind === 'fleet' || l.kind === 'node' || l.kind === 'session') return l;
  }
  return { kind: 'fleet' };
}

export function topLayer(stack: readonly Layer[]): Layer {
  return stack[stack.length - 1] ?? { kind: 'fleet' };
}
