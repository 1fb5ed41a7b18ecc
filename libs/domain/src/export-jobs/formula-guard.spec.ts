import { FORMULA_TRIGGERS, guardFormula } from './formula-guard';

describe('guardFormula', () => {
  it.each([
    ['=SUM(A1:A2)', "'=SUM(A1:A2)"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['=', "'="],
  ])('prefixes %j, which a spreadsheet would run, with an apostrophe', (text, guarded) => {
    expect(guardFormula(text)).toBe(guarded);
  });

  it.each(['', 'plain', ' =1', "'=1", 'a=b', '\n=1', '＝1', '1+1'])('leaves %j as it is', (text) => {
    expect(guardFormula(text)).toBe(text);
  });

  it('guards on exactly the six characters of the contract', () => {
    expect([...FORMULA_TRIGGERS].sort()).toEqual(['\t', '\r', '+', '-', '=', '@'].sort());
  });
});
