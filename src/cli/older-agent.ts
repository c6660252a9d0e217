/**
 * An agent from before organisations, asked for what it does not know: `org-apply` is an operation it has
 * never heard of, and `run` with a VP has a key it refuses. Either means the node needs `agency push`.
 */
export function olderAgentHint(node: string, e: Error & { code?: string }): string | null {
  if (e.code !== 'bad-request') return null;
  if (/unknown operation/.test(e.message))
    return `node ${node} runs an older agency agent, which cannot take an organisation; run agency push --node ${node}`;
  if (/\brun\.vp: unknown key/.test(e.message))
    return `node ${node} runs an older agency agent, which cannot record a task's VP; run agency push --node ${node}`;
  return null;
}
