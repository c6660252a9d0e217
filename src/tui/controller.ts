/**
 * The one owner of the operator's keys: each key press goes to the top layer of the focus stack, is looked
 * up in the key table, and either runs its binding's handler or says why it cannot run now. Holds the UI
 * state (outside React, like the fleet store), the stack of layers, the input line, and the plumbing that
 * turns a handler's requests into messages; the commands themselves live with their keys in bindings/.
 */
import type { Key } from 'ink';
import type { CockpitPort, Decision, FleetState, SessionSummary, StoreEvent, TaskTriage } from '../cockpit/types.js';
import { Emitter } from '../protocol/events.js';
import { singleLine } from '../protocol/safe-text.js';
import { keyContext } from './bindings/focus.js';
import { FocusReports } from './focus.js';
import { isText, keyBytes, keyName, type KeyModes } from './key-names.js';
import {
  BINDINGS,
  LAYER_NAMES,
  bindingById,
  bindingFor,
  keysLabel,
  type Actions,
  type BindingId,
  type DisciplineChoice,
  type KeyContext,
} from './keys.js';
import { topLayer, type Layer, type LayerKind } from './layers.js';
import { initialUi, type MessageTone, type UiState } from './ui-state.js';
import { OutputFollower } from './worker-output.js';

export interface FleetSource {
  getSnapshot(): FleetState;
  subscribe(listener: () => void): () => void;
  /** what a node answered to a command, so the views show it before the node's own report arrives */
  ingest?(e: StoreEvent): void;
  /** applies what is queued now: the operator's own command shows its result at once, not at the next batch */
  flush?(): void;
}

export interface ControllerOptions {
  fleet: FleetSource;
  port: CockpitPort;
  /** the repository a new task works on by default (a path on the node it runs on, or a git URL) */
  repo: string;
  /** where the cockpit runs: a relative repository typed in the new-task form is taken from here (default: cwd) */
  cwd?: string;
  /** the disciplines the new-task form offers */
  disciplines?: readonly DisciplineChoice[];
  /** the organisation a task with no node chosen is placed by (see cockpit/triage.ts) */
  triage?: TaskTriage;
  bell?: boolean;
  /** the operator's terminal: taking over a session gives the session this size (only taking over does) */
  terminalSize?: () => { columns: number; rows: number };
  onQuit: () => void;
}

/** What the session pane on screen tells the controller: its page height, and the modes keys are encoded in. */
export interface PaneInfo {
  rows: number;
  scrollMax: number;
  modes(): KeyModes;
}

const MAX_PROMPT = 4000;

/** The layers keys are typed into: a paste or keys typed ahead go there whole. */
const TYPED_INTO: readonly LayerKind[] = ['takeover', 'prompt', 'form'];

/**
 * A few printable keys read at once, as typing ahead of a busy cockpit gives. Longer text, or text with
 * spaces, is a paste: it is never taken for a string of commands (one of them could approve a decision).
 */
const TYPEAHEAD_MAX = 4;
function isTypeahead(input: string, key: Key): boolean {
  const chars = [...input];
  return (
    chars.length > 1 &&
    chars.length <= TYPEAHEAD_MAX &&
    !key.ctrl &&
    !key.meta &&
    chars.every((c) => /^[\x21-\x7e]$/.test(c))
  );
}

export class Controller {
  private ui: UiState;
  private readonly changes = new Emitter<void>();
  private pane: PaneInfo | null = null;
  private diffPage = 10;
  private outputPage = 10;
  private readonly output: OutputFollower;
  /** what the bindings' handlers may do */
  private readonly actions: Actions;
  /** whether the operator's terminal has focus (its reports are taken from the keys) */
  readonly focus = new FocusReports();

  constructor(private readonly o: ControllerOptions) {
    this.ui = initialUi(o.bell ?? false);
    this.actions = {
      port: o.port,
      repo: o.repo,
      cwd: o.cwd ?? process.cwd(),
      disciplines: o.disciplines ?? [],
      triage: o.triage ?? null,
      fleet: () => o.fleet.getSnapshot(),
      ui: () => this.ui,
      set: (patch) => this.set(patch),
      say: (text, tone) => this.say(text, tone),
      push: (l) => this.set({ stack: [...this.ui.stack, l] }),
      pop: () => this.pop(),
      replaceTop: (l) => this.replaceTop(l),
      confirm: (message, onYes) => this.set({ stack: [...this.ui.stack, { kind: 'confirm', message, onYes }] }),
      perform: (what, p, answer) => this.perform(what, p, answer),
      report: (p, ok, failed) => this.report(p, ok, failed),
      learn: (e) => {
        o.fleet.ingest?.(e);
        o.fleet.flush?.();
      },
      diffRows: () => this.diffPage,
      outputRows: () => this.outputPage,
      scroll: (by) => this.set({ scroll: Math.max(0, Math.min(this.pane?.scrollMax ?? 0, this.ui.scroll + by)) }),
      pageRows: () => Math.max(1, (this.pane?.rows ?? 10) - 1),
      terminalSize: () => o.terminalSize?.(),
      quit: () => o.onQuit(),
    };
    this.output = new OutputFollower({
      port: o.port,
      stack: () => this.ui.stack,
      setStack: (stack) => this.set({ stack }),
    });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    const sub = this.changes.on(listener);
    return () => sub.dispose();
  };

  readonly getSnapshot = (): UiState => this.ui;

  /** the disciplines the new-task form offers */
  get disciplines(): readonly DisciplineChoice[] {
    return this.actions.disciplines;
  }

  /** the organisation the new-task form places a task by when no node is chosen, or null */
  get triage(): TaskTriage | null {
    return this.actions.triage;
  }

  private set(patch: Partial<UiState>): void {
    this.ui = { ...this.ui, ...patch };
    this.changes.emit();
  }

  say(text: string, tone: MessageTone = 'info'): void {
    this.set({ message: { text, tone } });
  }

  /** The grid reports how many tiles fit in a row, so that up and down move by a row. */
  setColumns(n: number): void {
    if (n !== this.ui.columns && n >= 1) this.set({ columns: n });
  }

  setPane(p: PaneInfo | null): void {
    this.pane = p;
  }

  /** The diff view reports how many lines it shows: a page of it scrolls by that much. */
  setDiffRows(rows: number): void {
    this.diffPage = Math.max(1, rows);
  }

  /** The worker output view reports how many lines it shows: a page of it scrolls by that much. */
  setOutputRows(rows: number): void {
    this.outputPage = Math.max(1, rows);
  }

  /** Asks the node again for the output of the worker whose view is open (see worker-output.ts). */
  refreshOutput(): void {
    this.output.refresh();
  }

  /** What is in focus now, as the bindings see it. */
  context(): KeyContext {
    return keyContext(this.o.fleet.getSnapshot(), this.ui);
  }

  /** A key press from the input owner; `raw` is the sequence the terminal sent, when known. */
  handleKey(input: string, key: Key, raw?: string): void {
    const top = topLayer(this.ui.stack);
    if (!TYPED_INTO.includes(top.kind) && top.kind !== 'confirm' && isTypeahead(input, key)) {
      // keys pressed while the cockpit was busy arrive in one read: each is a press of its own; once one
      // opens a prompt or a takeover the rest are typed there, and a question is answered by a key of its own
      const chars = [...input];
      for (const [i, ch] of chars.entries()) {
        const now = topLayer(this.ui.stack).kind;
        if (now === 'confirm') return;
        if (TYPED_INTO.includes(now)) return this.handleKey(chars.slice(i).join(''), key, chars.slice(i).join(''));
        this.handleKey(ch, key, ch);
      }
      return;
    }
    const name = keyName(input, key);
    if (top.kind === 'takeover') {
      if (name === 'ctrl+]') return this.press('release');
      const bytes = raw !== undefined && raw !== '' ? raw : keyBytes(input, key, this.pane?.modes());
      if (bytes !== '')
        this.perform(null, this.o.port.request(top.node, 'send', { session: top.session, text: bytes, enter: false }));
      return;
    }
    if (this.ui.message) this.set({ message: null });
    const b = bindingFor(top.kind, name);
    if (!b) {
      const typing = top.kind === 'prompt' || top.kind === 'form';
      if (typing && isText(input, key)) this.type(input);
      else if (name !== '' && !typing) this.say(this.notHere(name), 'why');
      return;
    }
    this.press(b.id);
  }

  private notHere(name: string): string {
    const elsewhere = BINDINGS.find((b) => b.keys.includes(name));
    if (!elsewhere) return `${name}: no command; ? lists the keys`;
    return `${name} (${elsewhere.description}) works on the ${elsewhere.layers.map((l) => LAYER_NAMES[l]).join(', ')} view, not here`;
  }

  /** Runs a command as if its key was pressed: or says why it cannot run now. */
  press(id: BindingId): void {
    const b = bindingById(id);
    const c = this.context();
    if (!b.layers.includes(c.top.kind)) return;
    const why = b.run(this.actions, c);
    if (why) this.say(`${keysLabel(b)} (${b.description}): ${why}`, 'why');
  }

  private pop(): void {
    if (this.ui.stack.length > 1) this.set({ stack: this.ui.stack.slice(0, -1) });
  }

  private replaceTop(l: Layer): void {
    this.set({ stack: [...this.ui.stack.slice(0, -1), l] });
  }

  private type(text: string): void {
    const top = topLayer(this.ui.stack);
    // one line: a paste's line breaks and tabs become spaces, other unsafe characters go
    const line = singleLine(text);
    if (top.kind === 'prompt') this.replaceTop({ ...top, text: (top.text + line).slice(0, MAX_PROMPT) });
    if (top.kind !== 'form' || top.busy) return;
    if (top.field === 'node') return this.say('the node is chosen, not typed: ← → go through them', 'why');
    this.replaceTop({ ...top, [top.field]: (top[top.field] + line).slice(0, MAX_PROMPT) });
  }

  private report<T>(p: Promise<T>, ok: (r: T) => string, failed: string): void {
    const fail = (e: unknown) => this.say(`${failed}: ${(e as Error)?.message ?? String(e)}`, 'error');
    p.then((r) => {
      let text: string;
      try {
        text = ok(r);
      } catch (e) {
        return fail(e);
      }
      if (text) this.say(text);
    }, fail);
  }

  /**
   * Shows the outcome of a request on the message line (errors always; successes when `what` is given), and
   * hands a session or decision the node answered with to the store.
   */
  private perform(what: string | null, p: Promise<unknown>, answer?: 'session' | 'decision'): void {
    p.then(
      (r) => {
        const known =
          typeof r === 'object' &&
          r !== null &&
          typeof (r as { id?: unknown }).id === 'string' &&
          typeof (r as { node?: unknown }).node === 'string';
        if (known && answer === 'session') this.o.fleet.ingest?.({ kind: 'session', session: r as SessionSummary });
        if (known && answer === 'decision') this.o.fleet.ingest?.({ kind: 'decision', decision: r as Decision });
        if (known && answer) this.o.fleet.flush?.();
        if (what) this.say(what);
      },
      (e: unknown) => this.say(`${what ? `${what}: ` : ''}failed: ${(e as Error)?.message ?? String(e)}`, 'error'),
    );
  }
}
