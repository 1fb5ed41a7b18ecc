import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface AccessTokenClaims {
  /** User id. */
  readonly sub: string;
  /** Tenant id. */
  readonly tid: string;
}

const ALGORITHM = 'HS256';

/**
 * The HMAC key of a secret, made once. Given a string, jsonwebtoken first tries it as a PEM public key (which throws)
 * and then makes a secret key from it, on every call: a tenth of the CPU of an authenticated request. The key is the
 * same bytes (the secret's UTF-8), so tokens sign and verify exactly as before.
 */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export function signAccessToken(claims: AccessTokenClaims, secret: string, ttlSeconds: number): string {
  return jwt.sign({ tid: claims.tid }, keyOf(secret), {
    algorithm: ALGORITHM,
    subject: claims.sub,
    expiresIn: ttlSeconds,
  });
}

/** The claims of a valid, unexpired HS256 token, or null for anything else. */
export function verifyAccessToken(token: string, secret: string): AccessTokenClaims | null {
  try {
    const payload = jwt.verify(token, keyOf(secret), { algorithms: [ALGORITHM] });
    if (
      typeof payload !== 'object' ||
      typeof payload.sub !== 'string' ||
      typeof payload.tid !== 'string' ||
      typeof payload.exp !== 'number'
    )
      return null;
    return { sub: payload.sub, tid: payload.tid };
  } catch {
    return null;
  }
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `1h`, `7d` -> seconds; null when it is none of those. */
export function parseTtl(text: string): number | null {
  const match = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNITS[match[2] || 's'];
  return seconds > 0 ? seconds : null;
}
