/** A failure the demo explains itself: the message is the one line after `demo: `, saying what to do. */
export class DemoFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoFailure';
  }
}

/** A URL fit for a message: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

/** The errno-style code of a connection error (also inside an AggregateError, as Node reports dual-stack tries). */
export function connectionErrorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = connectionErrorCode(inner);
      if (found) return found;
    }
  }
  if (/timeout/i.test(String((error as { message?: unknown }).message))) return 'ETIMEDOUT';
  return null;
}

/** The first line of any error, for the one-line message. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0].trim() || (error instanceof Error ? error.name : 'unknown error');
}
