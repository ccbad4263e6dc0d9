/**
 * The typed envelope every channel uses (`{ type, payload }`, one name-to-payload map per
 * direction) and its runtime check. Each channel lists its message types in a table the compiler
 * completes (`satisfies Record<keyof M, true>`): a type added to the map and forgotten in the table
 * fails the typecheck, and a message whose type is not in the table is rejected when it arrives.
 *
 * Dependency-free (no `vscode`, no Node APIs): the webview bundles import it.
 */

export type Envelope<M> = { [K in keyof M]: { type: K; payload: M[K] } }[keyof M];

/** Every message type of one direction, as the keys of a table the compiler checks against the map. */
export type MessageTypes<M> = Readonly<Record<keyof M, true>>;

/** A message of this direction: an object with a `payload` and a `type` its table lists (own keys only, so `toString` is no type). */
export function isMessageOf<M>(value: unknown, types: MessageTypes<M>): value is Envelope<M> {
  if (typeof value !== 'object' || value === null || !('type' in value) || !('payload' in value)) return false;
  const type = (value as { type: unknown }).type;
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(types, type);
}

/** What a rejected message was, for the log line that says it was ignored. */
export function describeRejected(value: unknown): string {
  const type = typeof value === 'object' && value !== null && 'type' in value ? String((value as { type: unknown }).type) : undefined;
  return `${type === undefined ? 'a message without a type' : `an unknown message type "${type}"`}: ${JSON.stringify(value)?.slice(0, 200)}`;
}
