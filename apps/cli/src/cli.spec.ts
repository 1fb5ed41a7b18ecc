import { parseArgs, UsageError } from './cli';

const OPTIONS = { tickets: { type: 'string' }, reset: { type: 'boolean' } } as const;

function usageMessage(argv: readonly string[]): string {
  try {
    parseArgs(argv, OPTIONS);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`${argv.join(' ')} parsed without an error`);
}

describe('parseArgs', () => {
  it('reads string options with a separate or an inline value, switches, and positionals in any order', () => {
    expect(parseArgs(['admin@acme.test', '--tickets', '50', '--reset'], OPTIONS)).toEqual({
      values: { tickets: '50', reset: true },
      positionals: ['admin@acme.test'],
    });
    expect(parseArgs(['--tickets=-5', 'a', 'b'], OPTIONS)).toEqual({
      values: { tickets: '-5' },
      positionals: ['a', 'b'],
    });
    expect(parseArgs([], OPTIONS)).toEqual({ values: {}, positionals: [] });
  });

  it('takes what follows -- as positionals, even when it looks like an option', () => {
    expect(parseArgs(['--', '--tickets'], OPTIONS).positionals).toEqual(['--tickets']);
  });

  it('keeps the last of a repeated option', () => {
    expect(parseArgs(['--tickets', '1', '--tickets', '2'], OPTIONS).values.tickets).toBe('2');
  });

  it.each([
    [['--ticket', '5'], 'unknown option --ticket'],
    [['--tickets=5', '--verbose=yes'], 'unknown option --verbose'],
    [['-t'], 'unknown option -t'],
    [['--constructor'], 'unknown option --constructor'],
    [['--tickets'], '--tickets needs a value'],
    [['--tickets', '--reset'], '--tickets needs a value'],
    [['--tickets', '-5'], '--tickets needs a value (write --tickets=-5 for one that starts with "-")'],
    [['--reset=yes'], '--reset takes no value'],
  ])('%j is a one-line usage error: %s', (argv, message) => {
    expect(usageMessage(argv)).toBe(message);
  });
});
