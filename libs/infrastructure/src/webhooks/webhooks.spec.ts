import { Webhook } from 'standardwebhooks';
import { isPrivateAddress, resolveDestination } from './destination-addresses';
import { WebhookSecretCipher } from './webhook-secret-cipher';
import { webhookSignature } from './webhook-signature';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'accepts %s',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );
});

describe('resolveDestination', () => {
  // IP literals: nothing is looked up in DNS.
  it.each([
    ['https://8.8.8.8/hook', { allowHttp: false, allowPrivate: false }, { address: '8.8.8.8', family: 4 }],
    ['http://8.8.8.8/hook', { allowHttp: true, allowPrivate: false }, { address: '8.8.8.8', family: 4 }],
    ['http://8.8.8.8/hook', { allowHttp: false, allowPrivate: true }, { refusal: 'must use https' }],
    ['ftp://8.8.8.8/hook', { allowHttp: true, allowPrivate: true }, { refusal: 'must use https or http' }],
    [
      'https://10.0.0.1/hook',
      { allowHttp: false, allowPrivate: false },
      { refusal: 'must not point to a loopback, private, link-local or metadata address' },
    ],
    ['https://[::1]/hook', { allowHttp: false, allowPrivate: true }, { address: '::1', family: 6 }],
  ])('%s with %o: %o', async (url, policy, expected) => {
    await expect(resolveDestination(url, policy)).resolves.toEqual(expected);
  });
});

describe('webhookSignature', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const other = 'whsec_dGhlIG90aGVyIHNlY3JldCBvZiB0aGlzIHNwZWM=';
  const body = '{"type":"export.completed","timestamp":"2026-11-30T12:00:00.000Z","data":{"id":"j"}}';

  it('is what the Standard Webhooks reference library signs and verifies', () => {
    const now = new Date();
    const timestamp = Math.floor(now.getTime() / 1000);
    const signature = webhookSignature([secret], 'msg_1', timestamp, body);

    expect(signature).toBe(new Webhook(secret).sign('msg_1', now, body));
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(other).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  it('carries one signature per secret during a rotation; either verifies', () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = webhookSignature([other, secret], 'msg_2', timestamp, body);
    const headers = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    };

    expect(signature.split(' ')).toHaveLength(2);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(other).verify(body, headers)).not.toThrow();
  });
});

describe('WebhookSecretCipher', () => {
  const cipher = new WebhookSecretCipher('a-key-of-sufficient-length');
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('round-trips without the secret appearing in what is stored', () => {
    const stored = cipher.encrypt(secret, 'endpoint-1');
    expect(stored).toMatch(/^v1:/);
    expect(stored).not.toContain('MfKQ9r8G');
    expect(cipher.encrypt(secret, 'endpoint-1')).not.toBe(stored);
    expect(cipher.decrypt(stored, 'endpoint-1')).toBe(secret);
  });

  it('refuses another key, another endpoint, or a tampered ciphertext', () => {
    const stored = cipher.encrypt(secret, 'endpoint-1');
    expect(() =>
      new WebhookSecretCipher('another-key-of-enough-length').decrypt(stored, 'endpoint-1'),
    ).toThrow();
    expect(() => cipher.decrypt(stored, 'endpoint-2')).toThrow();
    const [v, iv, tag, data] = stored.split(':');
    const flipped = Buffer.from(data, 'base64');
    flipped[0] ^= 1;
    expect(() => cipher.decrypt([v, iv, tag, flipped.toString('base64')].join(':'), 'endpoint-1')).toThrow();
  });
});
