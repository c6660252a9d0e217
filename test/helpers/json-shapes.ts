/**
 * The examples of docs/json.md and the keys they show. An example is a fenced block whose info string is
 * `json <label>`, or `json <label> | <label>…` for commands that print the same shape (`json status`,
 * `json watch session`); a block `json shape:<name>` defines a shape that examples name as the value
 * `"<name>"`. In an example, a key written `name?` may be absent from what the command prints, and the
 * value of a key written `name*` is any JSON (not compared).
 */

export interface DocExamples {
  /** label → the example's JSON */
  examples: Map<string, unknown>;
  /** shape name → its JSON */
  shapes: Map<string, unknown>;
}

export function docExamples(markdown: string): DocExamples {
  const examples = new Map<string, unknown>();
  const shapes = new Map<string, unknown>();
  for (const m of markdown.matchAll(/^```json ([^\n]+)\n([\s\S]*?)^```$/gm)) {
    const info = m[1]!.trim();
    let value: unknown;
    try {
      value = JSON.parse(m[2]!);
    } catch (e) {
      throw new Error(`docs/json.md: the example ${info} is not JSON: ${(e as Error).message}`, { cause: e });
    }
    const shape = /^shape:(\S+)$/.exec(info);
    const into = shape ? shapes : examples;
    for (const label of shape ? [shape[1]!] : info.split('|').map((l) => l.trim())) {
      if (into.has(label)) throw new Error(`docs/json.md: two examples of ${label}`);
      into.set(label, value);
    }
  }
  return { examples, shapes };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What differs between the keys a documented example shows and those a real document has, as
 * `path: problem` lines. Lists are compared by their first elements; a real value that is null, or an
 * empty list, says nothing about the keys below it.
 */
export function compareShapes(doc: unknown, real: unknown, shapes: Map<string, unknown>, path = ''): string[] {
  const at = path || '(top)';
  const ref = typeof doc === 'string' ? /^<([\w-]+)>$/.exec(doc) : null;
  if (ref) {
    if (!shapes.has(ref[1]!)) return [`${at}: documented as the shape ${doc}, which docs/json.md does not define`];
    return compareShapes(shapes.get(ref[1]!), real, shapes, path);
  }
  if (real === null || real === undefined) return [];
  if (Array.isArray(real)) {
    if (!Array.isArray(doc)) return [`${at}: a list, documented as ${JSON.stringify(doc)}`];
    if (real.length === 0) return [];
    if (doc.length === 0) return [`${at}: documented as an empty list only`];
    return compareShapes(doc[0], real[0], shapes, `${path}[]`);
  }
  if (!isObject(real)) return [];
  if (!isObject(doc)) return [`${at}: an object, documented as ${JSON.stringify(doc)}`];
  const problems: string[] = [];
  const documented = new Map<string, { key: string; optional: boolean; free: boolean }>();
  for (const key of Object.keys(doc)) {
    const marks = /[?*]*$/.exec(key)![0];
    documented.set(key.slice(0, key.length - marks.length), {
      key,
      optional: marks.includes('?'),
      free: marks.includes('*'),
    });
  }
  for (const [name, v] of Object.entries(real)) {
    const d = documented.get(name);
    const here = path ? `${path}.${name}` : name;
    if (!d) problems.push(`${here}: printed, not documented`);
    else if (!d.free) problems.push(...compareShapes(doc[d.key], v, shapes, here));
  }
  for (const [name, d] of documented)
    if (!d.optional && !(name in real)) problems.push(`${path ? `${path}.${name}` : name}: documented, not printed`);
  return problems;
}
