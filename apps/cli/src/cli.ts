import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';

/** Shared plumbing of the command-line entry points (apps/cli and tools/): argument parsing and one way to fail. */
export class UsageError extends Error {}

/** The options a command takes, as `node:util` parseArgs describes them: `{ tickets: { type: 'string' } }`. */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

interface StrictConfig<O extends CliOptions> {
  args: string[];
  options: O;
  strict: true;
  allowPositionals: true;
}

/** `{ values: { tickets?: string, reset?: boolean }, positionals: string[] }`, typed by the options. */
export type ParsedArgs<O extends CliOptions> = ReturnType<typeof parseNodeArgs<StrictConfig<O>>>;

/**
 * `node:util` parseArgs, strict: an unknown option, a string option without a value or a switch given one is a
 * UsageError saying so in one line (`unknown option --foo`, `--tickets needs a value`). Positionals are returned;
 * each command decides how many it takes.
 */
export function parseArgs<const O extends CliOptions>(argv: readonly string[], options: O): ParsedArgs<O> {
  const config: StrictConfig<O> = { args: [...argv], options, strict: true, allowPositionals: true };
  try {
    return parseNodeArgs(config);
  } catch (error) {
    if (!isParseError(error)) throw error;
    throw usageErrorOf(error, config);
  }
}

/**
 * Node's message names the option but adds a paragraph of advice; the tokens of a lenient parse say which argument
 * was wrong, for a message as short as the rest of the command's output.
 */
function usageErrorOf(error: Error, config: StrictConfig<CliOptions>): UsageError {
  const { tokens } = parseNodeArgs({ ...config, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const type = Object.hasOwn(config.options, token.name) ? config.options[token.name].type : null;
    if (type === null) return new UsageError(`unknown option ${token.rawName}`);
    if (type === 'boolean' && token.value !== undefined)
      return new UsageError(`${token.rawName} takes no value`);
    if (type === 'string' && token.value === undefined)
      return new UsageError(`${token.rawName} needs a value`);
    // What strict mode calls ambiguous: `--tickets --reset`, or `--tickets -5` (which may have meant a value).
    if (type === 'string' && !token.inlineValue && token.value !== undefined && /^-./.test(token.value))
      return new UsageError(
        token.value.startsWith('--')
          ? `${token.rawName} needs a value`
          : `${token.rawName} needs a value (write ${token.rawName}=${token.value} for one that starts with "-")`,
      );
  }
  return new UsageError(error.message.split('\n', 1)[0]);
}

/**
 * ERR_PARSE_ARGS_UNKNOWN_OPTION, ERR_PARSE_ARGS_INVALID_OPTION_VALUE, ...: what the user typed, not a bug. Told by
 * its code, not by `instanceof`: Node's own errors come from another realm under jest.
 */
function isParseError(error: unknown): error is Error {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') && typeof message === 'string';
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
