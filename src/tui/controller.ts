/**
 * The one owner of the operator's keys: each key press goes to the top layer of the focus stack, is looked
 * up in the key table, and either runs its command or says why it cannot run now. Holds the UI state
 * (outside React, like the fleet store) and turns commands into requests through the cockpit port.
 */
import type { Key } from 'ink';
import type { CockpitPort, Decision, FleetState, SessionSummary, StoreEvent } from '../cockpit/types.js';
import { isText, keyBytes, keyName, type KeyModes } from './key-names.js';
import { BINDINGS, LAYER_NAMES, bindingFor, keysLabel, type Binding, type BindingId, type KeyContext } from './keys.js';
import { baseLayer, topLayer, type Layer, type PromptPurpose } from './layers.js';
import { decisionFor, findSession, visibleNodes, visibleSessions } from './select.js';
import { initialUi, type MessageTone, type UiState } from './ui-state.js';
import { stopEverything } from './emergency.js';

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
  /** the repository a new task works on (a path on the node it runs on) */
  repo: string;
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
  private readonly listeners = new Set<() => void>();
  private pane: PaneInfo | null = null;

  constructor(private readonly o: ControllerOptions) {
    this.ui = initialUi(o.bell ?? false);
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): UiState => this.ui;

  private set(patch: Partial<UiState>): void {
    this.ui = { ...this.ui, ...patch };
    for (const l of [...this.listeners]) l();
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

  context(): KeyContext {
    const fleet = this.o.fleet.getSnapshot();
    const ui = this.ui;
    const top = topLayer(ui.stack);
    const base = baseLayer(ui.stack);
    let node: string | null;
    let session = null;
    if (base.kind === 'fleet') {
      const nodes = visibleNodes(fleet, ui.filter);
      node = ui.nodeCursor && nodes.includes(ui.nodeCursor) ? ui.nodeCursor : (nodes[0] ?? null);
    } else if (base.kind === 'node') {
      node = base.node;
      const list = visibleSessions(fleet, node, ui.filter);
      const id = ui.sessionCursor[node];
      session = list.find((s) => s.id === id) ?? list[0] ?? null;
    } else {
      node = base.node;
      session = findSession(fleet, base.node, base.session);
    }
    const decision =
      node === null
        ? null
        : session
          ? decisionFor(fleet, node, session.id)
          : base.kind === 'fleet'
            ? decisionFor(fleet, node)
            : null;
    return {
      fleet,
      ui,
      top,
      node,
      link: node === null ? null : (fleet.nodes.get(node)?.link ?? null),
      session,
      decision,
    };
  }

  /** Why a binding cannot run now, or null. */
  disabledReason(b: Binding, c: KeyContext = this.context()): string | null {
    return b.disabledReason?.(c) ?? null;
  }

  /** A key press from the input owner; `raw` is the sequence the terminal sent, when known. */
  handleKey(input: string, key: Key, raw?: string): void {
    const top = topLayer(this.ui.stack);
    if (top.kind !== 'takeover' && top.kind !== 'prompt' && top.kind !== 'confirm' && isTypeahead(input, key)) {
      // keys pressed while the cockpit was busy arrive in one read: each is a press of its own; once one
      // opens a prompt or a takeover the rest are typed there, and a question is answered by a key of its own
      const chars = [...input];
      for (let i = 0; i < chars.length; i++) {
        const now = topLayer(this.ui.stack).kind;
        if (now === 'confirm') return;
        if (now === 'takeover' || now === 'prompt')
          return this.handleKey(chars.slice(i).join(''), key, chars.slice(i).join(''));
        this.handleKey(chars[i]!, key, chars[i]);
      }
      return;
    }
    const name = keyName(input, key);
    if (top.kind === 'takeover') {
      if (name === 'ctrl+]') return this.execute('release', this.context());
      const bytes = raw !== undefined && raw !== '' ? raw : keyBytes(input, key, this.pane?.modes());
      if (bytes !== '')
        this.perform(null, this.o.port.request(top.node, 'send', { session: top.session, text: bytes, enter: false }));
      return;
    }
    if (this.ui.message) this.set({ message: null });
    const b = bindingFor(top.kind, name);
    if (!b) {
      if (top.kind === 'prompt' && isText(input, key)) this.type(input);
      else if (name !== '' && top.kind !== 'prompt') this.say(this.notHere(name), 'why');
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
    const b = BINDINGS.find((x) => x.id === id)!;
    const c = this.context();
    if (!b.layers.includes(c.top.kind)) return;
    const why = this.disabledReason(b, c);
    if (why) return this.say(`${keysLabel(b)} (${b.description}): ${why}`, 'why');
    this.execute(id, c);
  }

  private push(l: Layer): void {
    this.set({ stack: [...this.ui.stack, l] });
  }

  private pop(): void {
    if (this.ui.stack.length > 1) this.set({ stack: this.ui.stack.slice(0, -1) });
  }

  private replaceTop(l: Layer): void {
    this.set({ stack: [...this.ui.stack.slice(0, -1), l] });
  }

  private type(text: string): void {
    const top = topLayer(this.ui.stack);
    if (top.kind !== 'prompt') return;
    // one line: a paste's line breaks and tabs become spaces, other controls go
    const line = text.replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f-\x9f]/g, '');
    this.replaceTop({ ...top, text: (top.text + line).slice(0, MAX_PROMPT) });
  }

  private move(dx: number, dy: number, c: KeyContext): void {
    const top = c.top.kind;
    if (top === 'fleet') {
      const nodes = visibleNodes(c.fleet, this.ui.filter);
      if (nodes.length === 0) return;
      const at = Math.max(0, c.node ? nodes.indexOf(c.node) : 0);
      const next = Math.max(0, Math.min(nodes.length - 1, at + dx + dy * this.ui.columns));
      this.set({ nodeCursor: nodes[next]! });
    } else if (top === 'node' && c.node) {
      const list = visibleSessions(c.fleet, c.node, this.ui.filter);
      if (list.length === 0) return;
      const at = Math.max(0, c.session ? list.findIndex((s) => s.id === c.session!.id) : 0);
      const next = list[Math.max(0, Math.min(list.length - 1, at + dy))]!;
      this.set({ sessionCursor: { ...this.ui.sessionCursor, [c.node]: next.id } });
    } else if (top === 'session') {
      this.scroll(-dy);
    } else if (top === 'help') {
      this.set({ helpScroll: Math.max(0, this.ui.helpScroll + dy) });
    }
  }

  private scroll(by: number): void {
    const max = this.pane?.scrollMax ?? 0;
    this.set({ scroll: Math.max(0, Math.min(max, this.ui.scroll + by)) });
  }

  private page(): number {
    return Math.max(1, (this.pane?.rows ?? 10) - 1);
  }

  private prompt(purpose: PromptPurpose, title: string, c: KeyContext, text = ''): void {
    this.push({
      kind: 'prompt',
      purpose,
      title,
      text,
      ...(c.node ? { node: c.node } : {}),
      ...(c.session ? { session: c.session.id } : {}),
    });
  }

  private confirm(message: string, onYes: () => void): void {
    this.push({ kind: 'confirm', message, onYes });
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

  private execute(id: BindingId, c: KeyContext): void {
    const port = this.o.port;
    const s = c.session;
    switch (id) {
      case 'up':
        return this.move(0, -1, c);
      case 'down':
        return this.move(0, 1, c);
      case 'left':
        return this.move(-1, 0, c);
      case 'right':
        return this.move(1, 0, c);
      case 'page-up':
        return c.top.kind === 'help'
          ? this.set({ helpScroll: Math.max(0, this.ui.helpScroll - 10) })
          : this.scroll(this.page());
      case 'page-down':
        return c.top.kind === 'help' ? this.set({ helpScroll: this.ui.helpScroll + 10 }) : this.scroll(-this.page());
      case 'bottom':
        return this.set({ scroll: 0 });
      case 'open':
        if (c.top.kind === 'fleet' && c.node)
          return this.set({ nodeCursor: c.node, stack: [...this.ui.stack, { kind: 'node', node: c.node }] });
        if (c.top.kind === 'node' && c.node && s) {
          return this.set({
            scroll: 0,
            sessionCursor: { ...this.ui.sessionCursor, [c.node]: s.id },
            stack: [...this.ui.stack, { kind: 'session', node: c.node, session: s.id }],
          });
        }
        return;
      case 'back':
        if (c.top.kind === 'fleet') return this.set({ filter: '' });
        return this.pop();
      case 'help':
        if (c.top.kind === 'help') return this.pop();
        return this.set({ helpScroll: 0, stack: [...this.ui.stack, { kind: 'help' }] });
      case 'filter':
        return this.prompt('filter', 'filter', c, this.ui.filter);
      case 'new-task':
        return this.prompt('run', `new task on ${c.node}`, c);
      case 'send':
        return this.prompt('send', `send to ${s!.id}`, c);
      case 'takeover': {
        const stack =
          c.top.kind === 'node'
            ? [...this.ui.stack, { kind: 'session' as const, node: c.node!, session: s!.id }]
            : [...this.ui.stack];
        const size = this.o.terminalSize?.();
        if (size)
          this.perform(
            null,
            port.request(s!.node, 'resize', { session: s!.id, cols: size.columns, rows: Math.max(5, size.rows - 3) }),
          );
        return this.set({ scroll: 0, stack: [...stack, { kind: 'takeover', node: c.node!, session: s!.id }] });
      }
      case 'pause':
      case 'resume':
      case 'interrupt': {
        const done = { pause: 'paused', resume: 'resumed', interrupt: 'interrupted' }[id];
        return this.perform(`${s!.id} ${done}`, port.request(s!.node, id, { session: s!.id }), 'session');
      }
      case 'stop':
        return this.confirm(`Stop session ${s!.id} on ${s!.node}? It cannot be resumed.`, () =>
          this.perform(`${s!.id} stopped`, port.request(s!.node, 'stop', { session: s!.id }), 'session'),
        );
      case 'approve':
      case 'deny': {
        const d = c.decision!;
        const approve = id === 'approve';
        return this.perform(
          `${approve ? 'approved' : 'denied'}: ${d.tool} ${d.summary}`,
          port.request(d.node, 'decide', { decision: d.id, approve }),
          'decision',
        );
      }
      case 'emergency-stop': {
        const live = c.fleet.health.live;
        const nodes = [...c.fleet.nodes.values()].filter((n) => n.live > 0).length;
        return this.confirm(
          `EMERGENCY STOP: stop all ${live} live session${live === 1 ? '' : 's'} on ${nodes} node${nodes === 1 ? '' : 's'}?`,
          () => {
            this.say('stopping every live session…');
            void stopEverything(this.o.fleet.getSnapshot(), port).then((r) =>
              this.say(r.text, r.failed > 0 ? 'error' : 'info'),
            );
          },
        );
      }
      case 'bell':
        this.set({ bell: !this.ui.bell });
        return this.say(`bell on a new decision: ${this.ui.bell ? 'on' : 'off'}`);
      case 'quit':
        if (this.ui.stack.some((l) => l.kind === 'takeover'))
          return this.confirm('A session is taken over. Quit anyway?', () => this.o.onQuit());
        return this.o.onQuit();
      case 'release':
        this.pop();
        return this.say('keyboard released');
      case 'yes': {
        const top = c.top;
        this.pop();
        if (top.kind === 'confirm') top.onYes();
        return;
      }
      case 'no':
      case 'cancel':
        return this.pop();
      case 'erase': {
        const top = c.top;
        if (top.kind === 'prompt') this.replaceTop({ ...top, text: Array.from(top.text).slice(0, -1).join('') });
        return;
      }
      case 'submit':
        return this.submit(c);
    }
  }

  private submit(c: KeyContext): void {
    const top = c.top;
    if (top.kind !== 'prompt') return;
    this.pop();
    const text = top.text;
    if (top.purpose === 'filter') return this.set({ filter: text.trim(), nodeCursor: null });
    if (text.trim() === '') return this.say('nothing typed: nothing sent', 'why');
    if (top.purpose === 'send' && top.node && top.session) {
      return this.perform(
        `sent to ${top.session}`,
        this.o.port.request(top.node, 'send', { session: top.session, text }),
      );
    }
    if (top.purpose === 'run') {
      this.say(`starting on ${top.node ?? 'the least busy node'}…`);
      this.o.port.run({ task: text, repo: this.o.repo }, top.node).then(
        (s) => this.say(`started ${s.id} on ${s.node} (${s.discipline})`),
        (e: unknown) => this.say(`new task failed: ${(e as Error)?.message ?? String(e)}`, 'error'),
      );
    }
  }
}
