/**
 * The new-task form's keys: Tab (and ↑ ↓) between its fields (task, repository, discipline, node), ← → through
 * the choices of the discipline and node fields, Enter to start, Esc to cancel (in overlays.ts, with the
 * input line's). The form stays until the node answers, so a refusal keeps everything typed.
 */
import { FORM_FIELDS, topLayer, type TaskForm } from '../layers.js';
import { cycle, formPlacement, formProblem, reachableNodes, resolveRepo } from '../new-task.js';
import { onForm, refine, type FormContext } from './when.js';
import { bind, type Actions, type KeyContext } from './binding.js';

/** Opens the form: the repository and discipline used last (or the cockpit's), on the least loaded node. */
export function openForm(a: Actions, c: KeyContext): void {
  a.push({
    kind: 'form',
    field: 'task',
    task: '',
    repo: c.ui.taskDefaults?.repo ?? a.repo,
    discipline: c.ui.taskDefaults?.discipline ?? '',
    node: null,
    busy: false,
  });
}

const idle = (c: KeyContext) =>
  refine(onForm(c), (f) => (f.top.busy ? 'starting already: waiting for the node to answer' : null));

const choosing = (c: KeyContext) =>
  refine(idle(c), (f) =>
    f.top.field === 'discipline' || f.top.field === 'node'
      ? null
      : '← → choose on the discipline and node fields; the task and repository are typed',
  );

function moveField(a: Actions, { top }: FormContext, by: 1 | -1): void {
  a.replaceTop({ ...top, field: cycle(FORM_FIELDS, top.field, by) });
}

function choose(a: Actions, { top, fleet }: FormContext, by: 1 | -1): void {
  if (top.field === 'node')
    return a.replaceTop({ ...top, node: cycle([null, ...reachableNodes(fleet)], top.node, by) });
  const ids = ['', ...a.disciplines.map((d) => d.id)];
  a.replaceTop({ ...top, discipline: cycle(ids, top.discipline.trim(), by) });
}

function start(a: Actions, { top: form, fleet }: FormContext): void {
  const resolved = resolveRepo(form.repo, fleet, form.node, a.cwd);
  if ('problem' in resolved) return a.say(resolved.problem, 'why');
  const chosen = form.discipline.trim();
  // with an organisation, a task with no node chosen goes to its VP's node, with that VP's discipline
  const place = formPlacement(form, fleet, a.triage);
  const node = form.node ?? place?.node ?? undefined;
  const discipline = place?.discipline ?? chosen;
  const busy: TaskForm = { ...form, busy: true };
  a.replaceTop(busy);
  a.say(`starting on ${node ?? 'the least loaded node'}${place?.vp ? ` for VP ${place.vp.name}` : ''}…`);
  const open = () => {
    const top = topLayer(a.ui().stack);
    return top.kind === 'form' && top.busy ? top : null;
  };
  a.port
    .run(
      {
        task: form.task,
        repo: resolved.repo,
        ...(discipline ? { discipline } : {}),
        ...(place?.vp ? { vp: place.vp.id } : {}),
      },
      node,
    )
    .then(
      (s) => {
        if (open()) a.pop();
        a.set({ taskDefaults: { repo: form.repo, discipline: chosen } });
        a.learn({ kind: 'session', session: s });
        a.say(`started ${s.id} on ${s.node} (${s.discipline}) in ${resolved.repo}`);
      },
      (e: unknown) => {
        const f = open();
        if (f) a.replaceTop({ ...f, busy: false });
        a.say(`new task failed: ${(e as Error)?.message ?? String(e)}`, 'error');
      },
    );
}

export const FORM_BINDINGS = [
  bind({
    id: 'next-field',
    keys: ['tab', 'down'],
    description: 'next field of the new-task form',
    layers: ['form'],
    hint: 'next field',
    when: idle,
    run: (a, c) => moveField(a, c, 1),
  }),
  bind({
    id: 'previous-field',
    keys: ['shift+tab', 'up'],
    description: 'previous field of the new-task form',
    layers: ['form'],
    when: idle,
    run: (a, c) => moveField(a, c, -1),
  }),
  bind({
    id: 'next-choice',
    keys: ['right'],
    description: 'next discipline or node (best match and least loaded come first)',
    layers: ['form'],
    hint: 'choose',
    when: choosing,
    run: (a, c) => choose(a, c, 1),
  }),
  bind({
    id: 'previous-choice',
    keys: ['left'],
    description: 'previous choice of discipline or node',
    layers: ['form'],
    when: choosing,
    run: (a, c) => choose(a, c, -1),
  }),
  bind({
    id: 'start',
    keys: ['enter'],
    description: 'start the task with what the form says',
    layers: ['form'],
    hint: 'start',
    when: (c) => refine(onForm(c), (f) => formProblem(f.top, f.fleet)),
    run: start,
  }),
];
