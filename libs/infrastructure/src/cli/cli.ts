/** Shared plumbing of the command-line entry points: argument parsing and one way to fail. */
export class UsageError extends Error {}

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

export function parseArgs(
  argv: readonly string[],
  valueFlags: readonly string[],
  booleanFlags: readonly string[],
): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2);
    if (booleanFlags.includes(name)) flags.set(name, true);
    else if (valueFlags.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { positional, flags };
}

/** Runs a command's main; prints a one-line error (no stack for expected errors) and exits non-zero on failure. */
export function runCli(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${name}: ${message}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
