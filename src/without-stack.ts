/**
 * Builds an error without capturing a stack trace. For the errors every association's normal end
 * creates (released, transport closed) to settle waiters: few callers ever look at them, their
 * stack says nothing useful, and V8 spends ~20 µs capturing one (several per association).
 */
export function withoutStack<T>(make: () => T): T {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  if (limit === undefined) return make();
  E.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    E.stackTraceLimit = limit;
  }
}
