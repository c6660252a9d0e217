/**
 * Who may answer agency's decisions from Slack: the users the operator's config lists (`slack.allowedUsers`,
 * Slack user ids), and nobody else. An empty list allows nobody: the guard fails closed.
 */

/** A Slack user id as Slack sends it in an action's payload (`U…`, `W…` for Enterprise Grid). */
const USER_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Whether `user` may answer a decision. */
export function mayAnswer(user: unknown, allowed: readonly string[]): user is string {
  return typeof user === 'string' && USER_ID.test(user) && allowed.includes(user);
}

/** Who answered, as the decision records it (the `decide` op's `by`). */
export const answeredAs = (user: string): `slack:${string}` => `slack:${user}`;
