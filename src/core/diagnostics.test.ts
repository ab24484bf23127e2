import { assert } from '@open-wc/testing';
import { plainFields } from './livekit-logs.js';
import { DiagnosticsLog, fingerprint } from './diagnostics.js';

describe('DiagnosticsLog', () => {
  it('redacts registered secrets from messages and fields', () => {
    const log = new DiagnosticsLog();
    const secret = 'abcdefghijklmnop-openid';
    log.addSecret(secret);
    log.info('auth', `got token ${secret}`, { note: `value ${secret}`, count: 3 });
    const [entry] = log.list();
    assert.equal(entry?.message, 'got token [redacted]');
    assert.deepEqual(entry?.fields, { note: 'value [redacted]', count: 3 });
    assert.notInclude(log.export(), secret);
  });

  it('redacts JWTs, Synapse tokens and token query parameters without registration', () => {
    const log = new DiagnosticsLog();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    log.warn('livekit', `connect ws://h/rtc?access_token=${jwt}&auto=1`);
    log.warn('matrix', 'header syt_YWxpY2U_abcdefghij_123456 used');
    log.warn('auth', 'url https://x/y?token=plainsecretvalue');
    const text = log.export();
    assert.notInclude(text, jwt);
    assert.notInclude(text, 'syt_YWxpY2U');
    assert.notInclude(text, 'plainsecretvalue');
    assert.include(text, 'access_token=[redacted]');
    assert.include(text, '&auto=1');
  });

  it('redacts fields named like secrets but keeps fingerprints and counts', () => {
    const log = new DiagnosticsLog();
    log.info('keys', 'key received', {
      key: 'AAECAwQFBgcICQoLDA0ODw==',
      accessToken: 'x'.repeat(20),
      keyFingerprint: 'a1b2c3d4',
      keyIndex: 2,
    });
    assert.deepEqual(log.list()[0]?.fields, {
      key: '[redacted]',
      accessToken: '[redacted]',
      keyFingerprint: 'a1b2c3d4',
      keyIndex: 2,
    });
  });

  it('takes Errors and objects as messages (libraries log them), redacted as text', () => {
    const log = new DiagnosticsLog();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
    assert.equal(
      log.log('livekit', 'warn', new Error(`bad ${jwt}`)).message,
      'Error: bad [redacted]',
    );
    assert.equal(
      log.log('livekit', 'warn', { url: `ws://x/?access_token=${jwt}` }).message,
      '{"url":"ws://x/?access_token=[redacted]"}',
    );
    assert.equal(log.log('livekit', 'warn', 42).message, '42');
    assert.equal(log.log('livekit', 'warn', undefined).message, 'undefined');
  });

  it('keeps only the plain values of a livekit-client log context', () => {
    const error = new Error('participant not found');
    assert.deepEqual(plainFields({ room: 'r', attempt: 2, error, participant: { sid: 'x' } }), {
      room: 'r',
      attempt: 2,
      error,
    });
    assert.isUndefined(plainFields({ participant: {} }));
    assert.isUndefined(plainFields('text'));
  });

  it('keeps a bounded number of entries, oldest dropped first', () => {
    const log = new DiagnosticsLog({ capacity: 3 });
    for (let i = 0; i < 5; i++) log.debug('session', `entry ${i}`);
    assert.deepEqual(
      log.list().map((e) => e.message),
      ['entry 2', 'entry 3', 'entry 4'],
    );
  });

  it('filters by category and exports valid JSON with context', () => {
    const log = new DiagnosticsLog();
    log.info('discovery', 'found transport', { url: 'http://127.0.0.1:6080' });
    log.info('auth', 'got jwt');
    assert.lengthOf(log.list('discovery'), 1);
    const doc = JSON.parse(log.export({ roomId: '!r:hs' })) as {
      roomId: string;
      entries: { message: string }[];
    };
    assert.equal(doc.roomId, '!r:hs');
    assert.deepEqual(
      doc.entries.map((e) => e.message),
      ['found transport', 'got jwt'],
    );
  });

  it('notifies entry listeners until unsubscribed', () => {
    const log = new DiagnosticsLog();
    const seen: string[] = [];
    const off = log.onEntry((e) => seen.push(e.message));
    log.info('session', 'one');
    off();
    log.info('session', 'two');
    assert.deepEqual(seen, ['one']);
  });

  it('fingerprints are short, stable and differ per input', async () => {
    const a = await fingerprint(new Uint8Array([1, 2, 3]));
    const b = await fingerprint(new Uint8Array([1, 2, 4]));
    assert.match(a, /^[0-9a-f]{8}$/);
    assert.equal(a, await fingerprint(new Uint8Array([1, 2, 3])));
    assert.notEqual(a, b);
  });
});
