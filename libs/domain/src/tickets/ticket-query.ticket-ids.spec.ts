import { ValidationError } from '../errors/domain-error';
import { parseExportRequest } from '../export-jobs/export-request';
import { buildTicketQuery, parseTicketIdList, TICKET_QUERY_LIMITS } from './ticket-query';

/** The field errors a parse throws, as `field: message` lines. */
function errorsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors.map((e) => `${e.field}: ${e.message}`);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

describe('ticketIds (a selection of tickets)', () => {
  it('keeps 1 to 10,000 unique positive integers, in the order given, next to the view', () => {
    expect(buildTicketQuery(null, { ticketIds: [7, 3, 42] }).ticketIds).toEqual([7, 3, 42]);
    expect(
      buildTicketQuery(null, { ticketIds: range(1, TICKET_QUERY_LIMITS.maxTicketIds) }).ticketIds,
    ).toHaveLength(10_000);
    expect(buildTicketQuery(null, {}).ticketIds).toBeUndefined();
    expect(buildTicketQuery(null, { ticketIds: null }).ticketIds).toBeUndefined();
  });

  it.each([
    ['10,001 ids', range(1, 10_001), ['ticketIds: must hold 1 to 10000 ticket ids; got 10001']],
    ['no id', [], ['ticketIds: must hold 1 to 10000 ticket ids; got 0']],
    ['a float', [1, 2.5], ['ticketIds[1]: must be a positive integer; got 2.5']],
    ['a duplicate', [4, 5, 4], ['ticketIds[2]: duplicate ticket id 4']],
    ['zero', [0], ['ticketIds[0]: must be a positive integer; got 0']],
    ['a negative id', [-3], ['ticketIds[0]: must be a positive integer; got -3']],
    ['a string', ['12'], ['ticketIds[0]: must be a positive integer; got "12"']],
    ['beyond 2^53', [2 ** 53], ['ticketIds[0]: must be a positive integer; got 9007199254740992']],
    ['not an array', 12, ['ticketIds: must be an array of ticket ids (positive integers)']],
  ])('refuses %s, naming the field', (_case, ticketIds, expected) => {
    expect(errorsOf(() => buildTicketQuery(null, { ticketIds }))).toEqual(expected);
  });

  it('names the first ten bad ids and counts the rest', () => {
    const errors = errorsOf(() => buildTicketQuery(null, { ticketIds: range(-14, 15) }));
    expect(errors).toHaveLength(11);
    expect(errors[10]).toBe('ticketIds: 5 more invalid ticket ids not listed');
  });

  it('is part of an export request, its errors named with the other fields', () => {
    const parsed = parseExportRequest({ ticketIds: [9, 8] }, null);
    expect(parsed.query.ticketIds).toEqual([9, 8]);
    const errors = errorsOf(() => parseExportRequest({ format: 'xml', ticketIds: [1, 1] }, null));
    expect(errors.map((e) => e.split(':')[0])).toEqual(['format', 'ticketIds[1]']);
    expect(errors[1]).toBe('ticketIds[1]: duplicate ticket id 1');
  });

  describe('in a query string (ticketIds=1,2,3)', () => {
    it('reads comma-separated ids', () => {
      expect(parseTicketIdList('3, 1,2')).toEqual([3, 1, 2]);
      expect(parseTicketIdList(undefined)).toBeUndefined();
    });

    it.each([
      ['a float', '1,2.5', ['ticketIds[1]: must be a positive integer; got 2.5']],
      ['a duplicate', '4,5,4', ['ticketIds[2]: duplicate ticket id 4']],
      ['zero', '0', ['ticketIds[0]: must be a positive integer; got 0']],
      ['a word', '1,abc', ['ticketIds[1]: must be a positive integer; got "abc"']],
      ['nothing', '', ['ticketIds: must hold 1 to 10000 ticket ids; got 0']],
      ['10,001 ids', range(1, 10_001).join(','), ['ticketIds: must hold 1 to 10000 ticket ids; got 10001']],
    ])('refuses %s with the messages of the body', (_case, text, expected) => {
      expect(errorsOf(() => parseTicketIdList(text))).toEqual(expected);
    });
  });
});
