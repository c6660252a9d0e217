/**
 * The new-task form: the task, the repository it works on, its discipline (best match or one of the
 * registry's, or any name typed) and its node (least loaded, or one of the reachable nodes, each with its
 * live sessions). The field in focus is marked; what cannot start yet is said under the fields.
 */
import { memo, useCallback } from 'react';
import { Box, Text } from 'ink';
import type { FleetState } from '../../cockpit/types.js';
import { isLive } from '../../cockpit/types.js';
import { useTui } from '../context.js';
import type { FormField, TaskForm } from '../layers.js';
import { formPlacement, formProblem, leastLoadedNode, reachableNodes } from '../new-task.js';
import { clean, fit, plain } from '../text.js';
import type { UiState } from '../ui-state.js';
import { useFleet, useUi } from '../use-store.js';
import { stringWidth } from '../../terminal/index.js';

const LABELS: Record<FormField, string> = {
  task: 'Task',
  repo: 'Repository',
  discipline: 'Discipline',
  node: 'Node',
};
const LABEL_WIDTH = 12;
/** title, four fields, a line of choices, a blank, what cannot start yet, the keys; and the border */
const FORM_HEIGHT = 13;

const selectForm = (u: UiState): TaskForm | null => {
  const top = u.stack[u.stack.length - 1];
  return top?.kind === 'form' ? top : null;
};
const selectVersion = (f: FleetState) => f.version;

/** The end of `text` that fits in `width` columns (what is being typed stays in view). */
function tail(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  const chars = Array.from(text);
  let out = '';
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = stringWidth(chars[i]!);
    if (w + cw > width - 1) break;
    out = chars[i]! + out;
    w += cw;
  }
  return `…${out}`;
}

/** `a · b · [c] · d`, cut to the width around the one chosen. */
function choices(options: readonly string[], chosen: number, width: number): string {
  const parts = options.map((o, i) => (i === chosen ? `[${o}]` : o));
  const all = parts.join(' · ');
  if (stringWidth(all) <= width) return all;
  const from = Math.max(0, chosen - 1);
  return fit(`${from > 0 ? '… ' : ''}${parts.slice(from).join(' · ')}`, width);
}

export const NewTaskForm = memo(function NewTaskForm({ width, height }: { width: number; height: number }) {
  const { controller, theme } = useTui();
  const form = useUi(useCallback(selectForm, []));
  useFleet(selectVersion); // the nodes offered and the least loaded one change with the fleet
  if (!form) return <Box width={width} height={height} />;
  const fleet = controller.context().fleet;
  const inner = Math.max(10, width - 4);
  const value = inner - LABEL_WIDTH - 2;
  const disciplines = controller.disciplines;
  const nodes = reachableNodes(fleet);
  const live = (n: string) => (fleet.sessions.get(n) ?? []).filter(isLive).length;
  const least = leastLoadedNode(fleet);
  const discipline = form.discipline.trim();
  const known = disciplines.find((d) => d.id === discipline);
  const problem = formProblem(form, fleet);
  // with an organisation: the VP the task goes to and its node, as Enter would place it now
  const place = formPlacement(form, fleet, controller.triage);

  const field = (f: FormField, text: string, dim = false) => {
    const focused = form.field === f;
    return (
      <Text wrap="truncate">
        <Text color={focused ? theme.focus.fg : theme.text.dim} bold={focused}>
          {`${focused ? '›' : ' '} ${LABELS[f].padEnd(LABEL_WIDTH)}`}
        </Text>
        <Text color={dim ? theme.text.dim : theme.text.fg}>{text}</Text>
        {focused && f !== 'node' && f !== 'discipline' ? <Text inverse> </Text> : null}
      </Text>
    );
  };
  const hint = (text: string) => (
    <Text wrap="truncate" color={theme.text.dim}>
      {`${' '.repeat(LABEL_WIDTH + 2)}${text}`}
    </Text>
  );
  const placed = place?.node ? `${clean(place.node, 40)}, ${live(place.node)} live` : 'no node is reachable';
  const nodeText =
    form.node === null && place
      ? place.vp
        ? `VP ${clean(place.vp.name, 40)}'s node (now ${placed})`
        : `least loaded (now ${placed})`
      : form.node === null
        ? `least loaded${least ? ` (now ${clean(least, 40)}, ${live(least)} live)` : ': no node is reachable'}`
        : `${clean(form.node, 40)}${fleet.links.get(form.node)?.state === 'up' ? ` (${live(form.node)} live)` : ` (${fleet.links.get(form.node)?.state ?? 'gone'})`}`;
  const nodeOptions = [
    controller.triage ? 'by VP' : 'least loaded',
    ...nodes.map((n) => `${clean(n, 30)} (${live(n)} live)`),
  ];
  const disciplineOptions = ['best match', ...disciplines.map((d) => clean(d.id, 30))];
  const chosenDiscipline = discipline === '' ? 0 : disciplines.findIndex((d) => d.id === discipline) + 1;

  return (
    <Box width={width} height={height} flexDirection="column">
      <Box
        flexDirection="column"
        width={width}
        height={Math.min(height, FORM_HEIGHT)}
        borderStyle="round"
        borderColor={theme.focus.border}
        paddingX={1}
        overflow="hidden"
      >
        <Text bold color={theme.focus.fg}>
          {fit(form.busy ? 'new task: starting…' : 'new task', inner)}
        </Text>
        {field('task', tail(plain(form.task), value - 1))}
        {field('repo', tail(plain(form.repo), value - 1))}
        {field(
          'discipline',
          discipline === ''
            ? place?.discipline
              ? `best match (now ${clean(place.discipline, 40)})`
              : 'best match (the registry’s closest discipline for the task)'
            : `${clean(discipline, value)}${known ? `: ${clean(known.title, value)}` : disciplines.length ? ' (not in this cockpit’s registry: the node decides)' : ''}`,
          discipline === '',
        )}
        {form.field === 'discipline' ? hint(`← → ${choices(disciplineOptions, chosenDiscipline, value - 4)}`) : null}
        {field('node', nodeText, form.node === null)}
        {form.field === 'node'
          ? hint(`← → ${choices(nodeOptions, form.node === null ? 0 : nodes.indexOf(form.node) + 1, value - 4)}`)
          : place?.note
            ? hint(clean(place.note, value * 2))
            : null}
        <Box flexGrow={1} />
        <Text wrap="truncate" color={problem ? theme.decision.fg : theme.text.dim}>
          {fit(problem ? `cannot start yet: ${clean(problem, inner)}` : 'Enter starts the task', inner)}
        </Text>
        <Text wrap="truncate" color={theme.text.dim}>
          {fit('Tab ↑↓ field · ← → choose · type to change the task, repository or discipline · Esc cancels', inner)}
        </Text>
      </Box>
    </Box>
  );
});
