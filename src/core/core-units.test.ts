// Unit tests for the core's parsers: pure functions, no servers.
import { assert } from '@open-wc/testing';
import { createClient, EventTimeline, MatrixEvent, Room } from 'matrix-js-sdk/lib/matrix.js';
import { MatrixRTCSession, type CallMembership } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { DiagnosticsLog } from './diagnostics.js';
import {
  discoverTransport,
  parseWellKnownFoci,
  pickLivekitTransport,
  serverNameOf,
  wellKnownUrl,
} from './discovery.js';
import { MatrixCallError } from './errors.js';
import {
  foreignServiceUrls,
  hashedRtcIdentity,
  readMembership,
  readMemberships,
} from './membership.js';
import { notificationTypeFor, parseIncomingNotification } from './notifications.js';
import { handOverDelayedLeave, parseErrorEnvelope, readJwtClaims } from './sfu-auth.js';

describe('discovery parsing', () => {
  it('takes the first LiveKit transport with an http(s) service URL', () => {
    assert.equal(
      pickLivekitTransport([
        { type: 'full-mesh' },
        { type: 'livekit' },
        { type: 'livekit', livekit_service_url: 'ftp://x' },
        { type: 'livekit', livekit_service_url: 'https://rtc.example.org/livekit/jwt/' },
        { type: 'livekit', livekit_service_url: 'https://second.example.org' },
      ]),
      'https://rtc.example.org/livekit/jwt',
    );
    assert.isUndefined(pickLivekitTransport(undefined));
    assert.isUndefined(pickLivekitTransport({ type: 'livekit' }));
    assert.isUndefined(pickLivekitTransport([null, 3, 'x']));
  });

  it('reads org.matrix.msc4143.rtc_foci from .well-known', () => {
    assert.equal(
      parseWellKnownFoci({
        'm.homeserver': { base_url: 'https://hs' },
        'org.matrix.msc4143.rtc_foci': [
          { type: 'livekit', livekit_service_url: 'https://jwt.example.org' },
        ],
      }),
      'https://jwt.example.org',
    );
    assert.isUndefined(parseWellKnownFoci({ 'm.homeserver': {} }));
    assert.isUndefined(parseWellKnownFoci('nonsense'));
    assert.isUndefined(parseWellKnownFoci({ 'org.matrix.msc4143.rtc_foci': { type: 'livekit' } }));
  });

  it('uses the server name (after the first colon), https except on loopback', () => {
    assert.equal(serverNameOf('@alice:example.org'), 'example.org');
    assert.equal(serverNameOf('@alice:localhost:8008'), 'localhost:8008');
    assert.equal(wellKnownUrl('example.org'), 'https://example.org/.well-known/matrix/client');
    assert.equal(wellKnownUrl('localhost:8008'), 'http://localhost:8008/.well-known/matrix/client');
    assert.equal(wellKnownUrl('127.0.0.1:8448'), 'http://127.0.0.1:8448/.well-known/matrix/client');
    assert.equal(
      wellKnownUrl('localhost.example.org'),
      'https://localhost.example.org/.well-known/matrix/client',
    );
    assert.throws(() => serverNameOf('@nocolon'), MatrixCallError);
  });

  const fetchJson = (routes: Record<string, unknown>) =>
    ((url: string) => {
      const body = routes[url];
      return Promise.resolve(
        body === undefined
          ? new Response('{}', { status: 404 })
          : new Response(JSON.stringify(body), { status: 200 }),
      );
    }) as unknown as typeof fetch;

  it('prefers the override, then /rtc/transports, then .well-known, logging each fallback', async () => {
    const log = new DiagnosticsLog();
    const wk = {
      'org.matrix.msc4143.rtc_foci': [
        { type: 'livekit', livekit_service_url: 'https://wk.example' },
      ],
    };
    const base = {
      userId: '@a:example.org',
      log,
      fetch: fetchJson({ 'https://example.org/.well-known/matrix/client': wk }),
    };
    assert.deepEqual(
      await discoverTransport({
        ...base,
        override: 'https://o.example/',
        getRtcTransports: () => Promise.reject(new Error('unused')),
      }),
      { livekitServiceUrl: 'https://o.example', source: 'override' },
    );
    assert.deepEqual(
      await discoverTransport({
        ...base,
        getRtcTransports: () =>
          Promise.resolve([{ type: 'livekit', livekit_service_url: 'https://t.example' }]),
      }),
      { livekitServiceUrl: 'https://t.example', source: 'rtc-transports' },
    );
    const notSupported = Object.assign(new Error('unrecognised'), { errcode: 'M_UNRECOGNIZED' });
    assert.deepEqual(
      await discoverTransport({ ...base, getRtcTransports: () => Promise.reject(notSupported) }),
      {
        livekitServiceUrl: 'https://wk.example',
        source: 'well-known',
      },
    );
    assert.isTrue(
      log.list('discovery').some((e) => e.level === 'warn' && e.message.includes('fallback')),
    );
    assert.isTrue(
      log.list('discovery').some((e) => e.message.includes('/rtc/transports unavailable')),
    );
  });

  it('fails with a typed no-rtc-transport error when nothing is advertised', async () => {
    const log = new DiagnosticsLog();
    try {
      await discoverTransport({
        userId: '@a:example.org',
        log,
        fetch: fetchJson({}),
        getRtcTransports: () => Promise.resolve([]),
      });
      assert.fail('expected a rejection');
    } catch (error) {
      assert.instanceOf(error, MatrixCallError);
      assert.equal(error.reason, 'no-rtc-transport');
    }
  });
});

describe('JWT service answers', () => {
  it('parses Matrix error envelopes and drops query strings from endpoints', () => {
    assert.deepEqual(
      parseErrorEnvelope(
        401,
        '{"errcode":"M_UNAUTHORIZED","error":"bad"}',
        'https://j/sfu/get?x=1',
      ),
      {
        status: 401,
        errcode: 'M_UNAUTHORIZED',
        error: 'bad',
        endpoint: 'https://j/sfu/get',
      },
    );
    assert.deepEqual(parseErrorEnvelope(502, '<html>bad gateway</html>', 'https://j/get_token'), {
      status: 502,
      endpoint: 'https://j/get_token',
    });
    assert.deepEqual(parseErrorEnvelope(400, '{"errcode":5}', 'https://j/sfu/get'), {
      status: 400,
      endpoint: 'https://j/sfu/get',
    });
  });

  it('reads room and identity claims from a JWT without verifying it', () => {
    const payload = btoa(JSON.stringify({ sub: '@a:hs:DEV', video: { room: 'alias+/=' } }))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_');
    assert.deepEqual(readJwtClaims(`xx.${payload}.sig`), { sub: '@a:hs:DEV', room: 'alias+/=' });
    assert.throws(() => readJwtClaims('not-a-jwt'));
    assert.throws(() => readJwtClaims(`xx.${btoa('{"sub":1}')}.sig`));
  });

  it('hands our delayed leave over with /sfu/get, and hears a service that does not take it', async () => {
    const bodies: Record<string, unknown>[] = [];
    const claims = btoa(JSON.stringify({ sub: '@a:hs:DEV', video: { room: 'r' } })).replace(
      /=+$/,
      '',
    );
    const answer =
      (status: number, body: unknown) => (_url: RequestInfo | URL, init?: RequestInit) => {
        bodies.push(JSON.parse(init?.body as string) as Record<string, unknown>);
        return Promise.resolve(new Response(JSON.stringify(body), { status }));
      };
    const log = new DiagnosticsLog();
    const input = (fetch: typeof globalThis.fetch) => ({
      serviceUrl: 'https://jwt.example',
      roomId: '!r:hs',
      userId: '@a:hs',
      deviceId: 'DEV',
      homeserver: 'https://hs',
      memberId: '@a:hs:DEV',
      getOpenIdToken: () =>
        Promise.resolve({
          access_token: 'openid-token-123',
          token_type: 'Bearer',
          matrix_server_name: 'hs',
          expires_in: 3600,
        }),
      log,
      fetch,
    });
    const handover = {
      delayId: 'syd_secret_delay',
      delayTimeoutMs: 18_000,
      csApiUrl: 'https://hs',
    };
    assert.isTrue(
      await handOverDelayedLeave(
        input(answer(200, { url: 'wss://lk', jwt: `h.${claims}.s` })),
        handover,
      ),
    );
    assert.deepInclude(bodies[0], {
      room: '!r:hs',
      device_id: 'DEV',
      delay_id: 'syd_secret_delay',
      delay_timeout: 18_000,
      delay_cs_api_url: 'https://hs',
    });
    assert.isFalse(
      await handOverDelayedLeave(
        input(answer(400, { errcode: 'M_BAD_JSON', error: 'only for full access users' })),
        handover,
      ),
    );
    assert.isFalse(await handOverDelayedLeave(input(answer(404, {})), handover));
    let failed: unknown;
    await handOverDelayedLeave(input(answer(503, { errcode: 'M_UNKNOWN' })), handover).catch(
      (e: unknown) => (failed = e),
    );
    assert.isTrue(MatrixCallError.is(failed, 'jwt-fetch-failed'));
    const text = JSON.stringify(log.list());
    assert.notInclude(text, 'syd_secret_delay');
    assert.notInclude(text, 'openid-token-123');
  });

  it('hashes the MSC4195 identity test vector', async () => {
    assert.equal(
      await hashedRtcIdentity('@alice:example.com', 'DEVICE123', 'memberABC'),
      'J+T45tGruxc+HrUOqJJlyQSV33m728Cme4+vt8/SWrU',
    );
  });
});

describe('membership parsing', () => {
  const roomId = '!room:example.org';
  const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@me:example.org' });

  function roomWith(events: Record<string, unknown>[]): Room {
    const room = new Room(roomId, client, '@me:example.org');
    const state = room.getLiveTimeline().getState(EventTimeline.FORWARDS);
    const members = [...new Set(events.map((e) => e['sender'] as string))].map(
      (sender, i) =>
        new MatrixEvent({
          type: 'm.room.member',
          state_key: sender,
          sender,
          content: { membership: 'join' },
          event_id: `$m${i}`,
          room_id: roomId,
          origin_server_ts: Date.now(),
        }),
    );
    state?.setStateEvents([
      ...members,
      ...events.map(
        (e, i) =>
          new MatrixEvent({
            type: 'org.matrix.msc3401.call.member',
            event_id: `$c${i}`,
            room_id: roomId,
            origin_server_ts: Date.now(),
            ...e,
          }),
      ),
    ]);
    return room;
  }

  const valid = (sender: string, device: string, url = 'https://jwt.example.org') => ({
    sender,
    state_key: `_${sender}_${device}_m.call`,
    content: {
      application: 'm.call',
      call_id: '',
      scope: 'm.room',
      device_id: device,
      expires: 3_600_000,
      focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
      foci_preferred: [{ type: 'livekit', livekit_service_url: url, livekit_alias: roomId }],
    },
  });

  it('keeps valid memberships and drops malformed, expired and left ones without throwing', async () => {
    const room = roomWith([
      valid('@alice:example.org', 'A'),
      valid('@bob:other.org', 'B', 'https://jwt.other.org'),
      {
        sender: '@m:example.org',
        state_key: '_@m:example.org_X_m.call',
        content: { application: 42, device_id: {} },
      },
      {
        sender: '@m:example.org',
        state_key: '_@m:example.org_Y_m.call',
        content: { memberships: 'old' },
      },
      { sender: '@m:example.org', state_key: '_@m:example.org_Z_m.call', content: {} },
      {
        sender: '@m:example.org',
        state_key: '_@m:example.org_W_m.call',
        content: { ...valid('@m:example.org', 'W').content, created_ts: 1, expires: 1 },
      },
      {
        sender: '@m:example.org',
        state_key: '_@m:example.org_V_m.call',
        content: { ...valid('@m:example.org', 'V').content, foci_preferred: 'nope' },
      },
    ]);
    const memberships = await MatrixRTCSession.sessionMembershipsForSlot(room, {
      application: 'm.call',
      id: 'ROOM',
    });
    const members = readMemberships(memberships);
    const ids = members.map((m) => m.identity);
    assert.includeMembers(ids, ['@alice:example.org:A', '@bob:other.org:B']);
    assert.notInclude(ids, '@m:example.org:W', 'expired');
    assert.notInclude(ids, '@m:example.org:X');
    assert.deepEqual(foreignServiceUrls(members, 'https://jwt.example.org'), [
      'https://jwt.other.org',
    ]);
  });

  it('reads a membership whose getters throw as unusable instead of failing', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
      },
    ) as unknown as CallMembership;
    assert.isUndefined(readMembership(hostile, undefined));
    const partial = {
      rtcBackendIdentity: '@x:hs:D',
      userId: '@x:hs',
      deviceId: 'D',
      memberId: '@x:hs:D',
      getTransport: () => {
        throw new Error('no transport');
      },
      createdTs: () => Number.NaN,
      isExpired: () => false,
    } as unknown as CallMembership;
    assert.deepInclude(readMembership(partial, undefined), {
      identity: '@x:hs:D',
      serviceUrl: undefined,
      createdTs: 0,
    });
  });
});

describe('call notifications', () => {
  const room = {
    roomId: '!r:hs',
    getMember: (id: string) => (id === '@alice:hs' ? { name: 'Alice' } : null),
  } as never;
  const event = (content: Record<string, unknown>, sender = '@alice:hs', ts = Date.now()) =>
    new MatrixEvent({
      type: 'org.matrix.msc4075.rtc.notification',
      sender,
      content,
      event_id: '$n',
      room_id: '!r:hs',
      origin_server_ts: ts,
    });
  const ring = {
    'm.mentions': { user_ids: [], room: true },
    notification_type: 'ring',
    sender_ts: Date.now(),
    lifetime: 30_000,
    'm.call.intent': 'audio',
  };

  it('parses a current ring addressed to the room', () => {
    const n = parseIncomingNotification(event(ring), room, '@bob:hs');
    assert.include(n, {
      sender: '@alice:hs',
      senderName: 'Alice',
      type: 'ring',
      intent: 'audio',
      eventId: '$n',
    });
    assert.approximately(n?.expiresAt ?? 0, ring.sender_ts + 30_000, 5);
  });

  it('ignores own, expired, unaddressed and malformed notifications', () => {
    assert.isUndefined(parseIncomingNotification(event(ring, '@bob:hs'), room, '@bob:hs'));
    assert.isUndefined(
      parseIncomingNotification(
        event({ ...ring, sender_ts: Date.now() - 60_000 }),
        room,
        '@bob:hs',
      ),
    );
    assert.isUndefined(
      parseIncomingNotification(
        event({ ...ring, 'm.mentions': { user_ids: ['@carol:hs'] } }),
        room,
        '@bob:hs',
      ),
    );
    assert.isUndefined(
      parseIncomingNotification(event({ ...ring, notification_type: 'shout' }), room, '@bob:hs'),
    );
    assert.isUndefined(
      parseIncomingNotification(event({ ...ring, lifetime: '30s' }), room, '@bob:hs'),
    );
    assert.isDefined(
      parseIncomingNotification(
        event({ ...ring, 'm.mentions': { user_ids: ['@bob:hs'] } }),
        room,
        '@bob:hs',
      ),
    );
  });

  it('caps the lifetime and distrusts a sender clock far in the future', () => {
    const now = Date.now();
    const long = parseIncomingNotification(
      event({ ...ring, sender_ts: now, lifetime: 3_600_000 }),
      room,
      '@bob:hs',
      now,
    );
    assert.equal(long?.expiresAt, now + 120_000);
    const skewed = parseIncomingNotification(
      event({ ...ring, sender_ts: now + 3_600_000 }, '@alice:hs', now),
      room,
      '@bob:hs',
      now,
    );
    assert.equal(skewed?.expiresAt, now + 30_000);
  });

  it('rings in a direct chat and notifies elsewhere, whatever m.direct holds', () => {
    const withDirect = (content: unknown) => ({
      getAccountData: () => ({ getContent: () => content }) as never,
    });
    assert.equal(
      notificationTypeFor(withDirect({ '@bob:hs': ['!a:hs', '!dm:hs'] }), '!dm:hs'),
      'ring',
    );
    assert.equal(
      notificationTypeFor(withDirect({ '@bob:hs': ['!a:hs'] }), '!dm:hs'),
      'notification',
    );
    assert.equal(
      notificationTypeFor({ getAccountData: () => undefined }, '!dm:hs'),
      'notification',
    );
    for (const hostile of [null, 'x', { '@bob:hs': '!dm:hs' }, { '@bob:hs': [{}, 5] }])
      assert.equal(notificationTypeFor(withDirect(hostile), '!dm:hs'), 'notification');
    const throwing = {
      getAccountData: () => {
        throw new Error('no store');
      },
    };
    assert.equal(notificationTypeFor(throwing, '!dm:hs'), 'notification');
  });
});
