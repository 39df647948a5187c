// How the coordinator answers a worker's message: through its ack when the worker sent one, and, for a message it
// refuses, with a rate-limited protocolError (`Reject`) that names the failing fields.

/** Refuses a message: counted against its worker, and reported at most once a second. */
export type Reject = (event: string, error: string) => void;

export function ackOf<T>(x: unknown): ((reply: T) => void) | null {
  return typeof x === 'function' ? (x as (reply: T) => void) : null;
}

export function issueText(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`).join('; ');
}
