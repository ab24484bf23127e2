// The legacy per-user membership format: the parser on its own (valid, expired, malformed,
// hostile), and LegacyMemberships over a real matrix-js-sdk Room built offline.
import { assert } from '@open-wc/testing';
import { createClient, EventTimeline, MatrixEvent, Room } from 'matrix-js-sdk/lib/matrix.js';
import { DiagnosticsLog } from './diagnostics.js';
import {
  LegacyMemberships,
  LegacyMembershipsEvent,
  MAX_LEGACY_ENTRIES,
  membersToSubscribe,
  readLegacyEvent,
  withLegacyMembers,
  type LegacyMemberEvent,
} from './legacy-memberships.js';
import type { MemberInfo } from './membership.js';

const NOW = 1_750_000_000_000;
const roomId = '!room:hs';
const focus = {
  type: 'livekit',
  livekit_service_url: 'https://rtc.hs/livekit/jwt/',
  livekit_alias: roomId,
};

/** One entry as older Element Call (matrix-js-sdk's legacy format) sent it. */
const entry = (deviceId: string, extra: Record<string, unknown> = {}) => ({
  application: 'm.call',
  call_id: '',
  scope: 'm.room',
  device_id: deviceId,
  expires: 3_600_000,
  created_ts: NOW - 1000,
  foci_active: [focus],
  membershipID: `member-${deviceId}`,
  ...extra,
});

const event = (memberships: unknown, over: Partial<LegacyMemberEvent> = {}): LegacyMemberEvent => ({
  type: 'org.matrix.msc3401.call.member',
  stateKey: '@bob:hs',
  sender: '@bob:hs',
  content: { memberships },
  originServerTs: NOW - 500,
  ...over,
});

describe('readLegacyEvent', () => {
  it('reads a valid entry as a member with the identity /sfu/get gives that device', () => {
    const read = readLegacyEvent(event([entry('DEV')]), NOW);
    assert.deepEqual(read.members, [
      {
        identity: '@bob:hs:DEV',
        userId: '@bob:hs',
        deviceId: 'DEV',
        memberId: 'member-DEV',
        serviceUrl: 'https://rtc.hs/livekit/jwt',
        createdTs: NOW - 1000,
        expired: false,
        legacy: true,
      },
    ]);
    assert.equal(read.nextExpiry, NOW - 1000 + 3_600_000);
    assert.deepEqual(read.ignored, []);
  });

  it('reads the stable m.call.member type too, and nothing else', () => {
    assert.lengthOf(
      readLegacyEvent(event([entry('D')], { type: 'm.call.member' }), NOW).members,
      1,
    );
    assert.lengthOf(
      readLegacyEvent(event([entry('D')], { type: 'm.room.member' }), NOW).members,
      0,
    );
  });

  it('takes expires_ts as absolute, and counts expires from the event time without created_ts', () => {
    const absolute = entry('A', { expires: undefined, expires_ts: NOW + 60_000 });
    const relative = entry('B', { created_ts: undefined, expires: 10_000 });
    const read = readLegacyEvent(event([absolute, relative]), NOW);
    assert.deepEqual(
      read.members.map((m) => [m.deviceId, m.createdTs]),
      [
        ['A', NOW - 1000],
        ['B', NOW - 500],
      ],
    );
    assert.equal(read.nextExpiry, NOW - 500 + 10_000);
  });

  it('leaves out expired entries and those without a usable expiry', () => {
    const read = readLegacyEvent(
      event([
        entry('OLD', { expires: 500 }),
        entry('PAST', { expires: undefined, expires_ts: NOW - 1 }),
        entry('NONE', { expires: undefined }),
        entry('TEXT', { expires: '3600000' }),
        entry('NEG', { expires: -5 }),
        entry('NAN', { expires: Number.NaN }),
        entry('OK'),
      ]),
      NOW,
    );
    assert.deepEqual(
      read.members.map((m) => m.deviceId),
      ['OK'],
    );
    assert.includeMembers(read.ignored, ['expired', 'no valid expires or expires_ts']);
  });

  it('leaves out other calls, other applications and foci that are not LiveKit', () => {
    const read = readLegacyEvent(
      event([
        entry('A', { call_id: 'other' }),
        entry('B', { scope: 'm.user' }),
        entry('C', { application: 'm.game' }),
        entry('D', { foci_active: [{ type: 'mesh' }] }),
        entry('E', { foci_active: [{ type: 'livekit', livekit_service_url: 'javascript:x' }] }),
        entry('F', { foci_active: undefined }),
        entry('G', { foci_active: 'livekit' }),
        entry('H', { foci_active: [{ type: 'mesh' }, focus] }),
      ]),
      NOW,
    );
    assert.deepEqual(
      read.members.map((m) => m.deviceId),
      ['H'],
    );
    assert.lengthOf(read.ignored, 7);
  });

  it('never throws on malformed content', () => {
    const hostile: unknown[] = [
      null,
      42,
      'memberships',
      { memberships: 'x' },
      { memberships: null },
      { memberships: [null, 1, 'a', [], {}] },
      { memberships: [entry('X', { device_id: 7 })] },
      { memberships: [entry('X', { device_id: '' })] },
      { memberships: [entry('X', { device_id: 'a\u0000b' })] },
      { memberships: [entry('X', { device_id: 'D'.repeat(10_000) })] },
      { memberships: [entry('X', { created_ts: 'yesterday', expires: 1e308 })] },
      { memberships: [entry('X', { foci_active: [null, 1, { type: 'livekit' }] })] },
    ];
    for (const content of hostile) {
      const read = readLegacyEvent({ ...event([]), content }, NOW);
      assert.isArray(read.members, JSON.stringify(content));
    }
    const getter = {
      get memberships(): unknown {
        throw new Error('boom');
      },
    };
    assert.deepEqual(readLegacyEvent({ ...event([]), content: getter }, NOW).members, []);
    // A far-future expiry is still an expiry (the timer caps it); a string created_ts is ignored.
    const far = readLegacyEvent(
      event([entry('X', { created_ts: 'yesterday', expires: 1e308 })]),
      NOW,
    );
    assert.equal(far.members[0]?.createdTs, NOW - 500);
  });

  it('takes only entries under a state key that is the sender', () => {
    const forged = readLegacyEvent(event([entry('DEV')], { stateKey: '@alice:hs' }), NOW);
    assert.deepEqual(forged.members, []);
    assert.deepEqual(forged.ignored, ['state key is not the sender']);
    const perDevice = readLegacyEvent(
      event([entry('DEV')], { stateKey: '_@bob:hs_DEV_m.call' }),
      NOW,
    );
    assert.deepEqual(perDevice.members, []);
    assert.deepEqual(
      readLegacyEvent(event([entry('DEV')], { sender: undefined }), NOW).members,
      [],
    );
  });

  it("names only the sender's devices: a user_id in an entry changes nothing", () => {
    const read = readLegacyEvent(event([entry('DEV', { user_id: '@alice:hs' })]), NOW);
    assert.equal(read.members[0]?.identity, '@bob:hs:DEV');
  });

  it('reads at most MAX_LEGACY_ENTRIES entries, and each device once', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => entry(`D${String(i)}`));
    const read = readLegacyEvent(event(many), NOW);
    assert.lengthOf(read.members, MAX_LEGACY_ENTRIES);
    assert.include(read.ignored[0], 'over the limit');
    const twice = readLegacyEvent(event([entry('D'), entry('D', { membershipID: 'x' })]), NOW);
    assert.deepEqual(
      twice.members.map((m) => m.memberId),
      ['member-D'],
    );
  });

  it('ignores per-device memberships and leaves (matrix-js-sdk reads those)', () => {
    const perDevice = { ...event([]), content: entry('DEV') };
    assert.deepEqual(readLegacyEvent(perDevice, NOW), {
      members: [],
      nextExpiry: undefined,
      ignored: [],
    });
    assert.deepEqual(readLegacyEvent({ ...event([]), content: {} }, NOW).members, []);
    assert.deepEqual(readLegacyEvent(event([]), NOW).members, []);
  });
});

const member = (identity: string, createdTs: number, extra: Partial<MemberInfo> = {}) => {
  const cut = identity.lastIndexOf(':');
  return {
    identity,
    userId: identity.slice(0, cut),
    deviceId: identity.slice(cut + 1),
    memberId: identity,
    serviceUrl: 'https://rtc.hs',
    createdTs,
    expired: false,
    ...extra,
  } satisfies MemberInfo;
};

describe('withLegacyMembers / membersToSubscribe', () => {
  it('adds legacy members oldest first, preferring a per-device membership of the same device', () => {
    const modern = [member('@a:hs:A', 10), member('@b:hs:B', 30)];
    const legacy = [
      member('@b:hs:B', 5, { legacy: true }),
      member('@c:hs:C', 20, { legacy: true }),
    ];
    const all = withLegacyMembers(modern, legacy);
    assert.deepEqual(
      all.map((m) => [m.identity, !!m.legacy]),
      [
        ['@a:hs:A', false],
        ['@c:hs:C', true],
        ['@b:hs:B', false],
      ],
    );
    assert.strictEqual(withLegacyMembers(modern, []), modern);
  });

  it('prefers a hashed (sticky) membership of the same user and device too', () => {
    const modern = [member('@b:hs:B', 10, { identity: 'hashed+id' })];
    assert.lengthOf(withLegacyMembers(modern, [member('@b:hs:B', 5, { legacy: true })]), 1);
  });

  it('takes no legacy media in an encrypted call', () => {
    const all = [member('@a:hs:A', 1), member('@c:hs:C', 2, { legacy: true })];
    assert.lengthOf(membersToSubscribe(all, 'none'), 2);
    assert.deepEqual(
      membersToSubscribe(all, 'per-participant').map((m) => m.identity),
      ['@a:hs:A'],
    );
    assert.lengthOf(membersToSubscribe(all, 'shared-secret'), 1);
  });
});

describe('LegacyMemberships', () => {
  let clock = NOW;

  function stateEvent(type: string, stateKey: string, sender: string, content: object, i: number) {
    return new MatrixEvent({
      type,
      state_key: stateKey,
      sender,
      content,
      event_id: `$e${String(i)}`,
      room_id: roomId,
      origin_server_ts: clock,
    });
  }

  function setup() {
    clock = Date.now();
    const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@me:hs' });
    const room = new Room(roomId, client, '@me:hs');
    const state = room.getLiveTimeline().getState(EventTimeline.FORWARDS);
    if (!state) throw new Error('no state');
    let i = 0;
    const put = (type: string, stateKey: string, sender: string, content: object) => {
      state.setStateEvents([stateEvent(type, stateKey, sender, content, i++)]);
    };
    for (const user of ['@me:hs', '@bob:hs', '@carol:hs'])
      put('m.room.member', user, user, { membership: 'join' });
    const log = new DiagnosticsLog();
    const legacy = new LegacyMemberships({ room, log });
    let changes = 0;
    legacy.on(LegacyMembershipsEvent.Changed, () => changes++);
    return { put, legacy, log, changes: () => changes };
  }

  const legacyType = 'org.matrix.msc3401.call.member';

  it('follows the state: a join, a second device, then an empty list', () => {
    const { put, legacy, changes } = setup();
    put(legacyType, '@bob:hs', '@bob:hs', { memberships: [entry('B1', { created_ts: clock })] });
    assert.deepEqual(
      legacy.members.map((m) => m.identity),
      ['@bob:hs:B1'],
    );
    put(legacyType, '@bob:hs', '@bob:hs', {
      memberships: [entry('B1', { created_ts: clock }), entry('B2', { created_ts: clock + 1 })],
    });
    assert.lengthOf(legacy.members, 2);
    put(legacyType, '@bob:hs', '@bob:hs', { memberships: [] });
    assert.deepEqual(legacy.members, []);
    assert.equal(changes(), 3);
    legacy.dispose();
  });

  it('counts only users who are in the room', () => {
    const { put, legacy } = setup();
    put(legacyType, '@carol:hs', '@carol:hs', { memberships: [entry('C', { created_ts: clock })] });
    put('org.matrix.msc3401.call.member', '@dave:hs', '@dave:hs', {
      memberships: [entry('D', { created_ts: clock })],
    });
    assert.deepEqual(
      legacy.members.map((m) => m.userId),
      ['@carol:hs'],
    );
    put('m.room.member', '@carol:hs', '@carol:hs', { membership: 'leave' });
    assert.deepEqual(legacy.members, []);
    legacy.dispose();
  });

  it('lets an entry go when it expires, without any new event', async () => {
    const { put, legacy, changes } = setup();
    put(legacyType, '@bob:hs', '@bob:hs', {
      memberships: [
        entry('SHORT', { expires: undefined, expires_ts: Date.now() + 150 }),
        entry('LONG', { created_ts: Date.now() }),
      ],
    });
    assert.lengthOf(legacy.members, 2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(
      legacy.members.map((m) => m.deviceId),
      ['LONG'],
    );
    assert.equal(changes(), 2);
    legacy.dispose();
  });

  it('logs what it ignored once per event, without the content', () => {
    const { put, legacy, log } = setup();
    const hostile = { memberships: [entry('X', { foci_active: [{ type: 'mesh' }] })] };
    put(legacyType, '@bob:hs', '@bob:hs', hostile);
    put('m.room.member', '@me:hs', '@me:hs', { membership: 'join', displayname: 'Me' });
    const lines = log.list('membership').filter((e) => e.message.includes('ignored legacy'));
    assert.lengthOf(lines, 1);
    assert.notInclude(JSON.stringify(lines), 'mesh');
    legacy.dispose();
  });
});
