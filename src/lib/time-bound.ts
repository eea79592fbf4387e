// Waiting with a limit: work that may never settle, raced against a timer that is cleared as soon
// as the work settles (so a finished wait leaves nothing behind to keep the process alive).

export const TIMED_OUT: unique symbol = Symbol('timed out');

/** The work's value, or TIMED_OUT once `ms` have passed first; a rejection passes through. */
export async function withinMs<T>(ms: number, work: Promise<T>): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The work's value, or the error `timedOut()` makes once `ms` have passed first. */
export async function withinMsOrThrow<T>(ms: number, work: Promise<T>, timedOut: () => Error): Promise<T> {
  const result = await withinMs(ms, work);
  if (result === TIMED_OUT) throw timedOut();
  return result;
}
