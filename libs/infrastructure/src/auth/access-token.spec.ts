import jwt from 'jsonwebtoken';
import { parseTtl, signAccessToken, verifyAccessToken } from './access-token';

const SECRET = 'a-secret-of-sufficient-length';
const CLAIMS = { sub: '7b0c3f5e-1d2a-4c3b-8e9f-0a1b2c3d4e5f', tid: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b' };

describe('access tokens', () => {
  it('carry sub, tid and exp signed with HS256', () => {
    const token = signAccessToken(CLAIMS, SECRET, 3600);
    const payload = jwt.decode(token, { complete: true });

    expect(payload?.header.alg).toBe('HS256');
    expect(payload?.payload).toMatchObject({
      sub: CLAIMS.sub,
      tid: CLAIMS.tid,
      exp: expect.any(Number) as number,
    });
    expect(verifyAccessToken(token, SECRET)).toEqual(CLAIMS);
  });

  it.each([
    ['another secret', signAccessToken(CLAIMS, 'another-secret-of-length', 3600)],
    [
      'expired',
      jwt.sign({ tid: CLAIMS.tid, exp: Math.floor(Date.now() / 1000) - 10 }, SECRET, { subject: CLAIMS.sub }),
    ],
    [
      'unsigned (alg none)',
      jwt.sign({ tid: CLAIMS.tid }, '', { algorithm: 'none', subject: CLAIMS.sub, expiresIn: 60 }),
    ],
    ['without tid', jwt.sign({}, SECRET, { subject: CLAIMS.sub, expiresIn: 60 })],
    ['without exp', jwt.sign({ tid: CLAIMS.tid }, SECRET, { subject: CLAIMS.sub })],
    [
      'HS512',
      jwt.sign({ tid: CLAIMS.tid }, SECRET, { algorithm: 'HS512', subject: CLAIMS.sub, expiresIn: 60 }),
    ],
    ['garbage', 'not.a.token'],
  ])('are refused when %s', (_case, token) => {
    expect(verifyAccessToken(token, SECRET)).toBeNull();
  });
});

describe('parseTtl', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseTtl(text)).toBe(seconds);
  });

  it.each(['', '0', '1w', '-5m', '1.5h', 'h'])('refuses %j', (text) => {
    expect(parseTtl(text)).toBeNull();
  });
});
