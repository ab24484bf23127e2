/**
 * Smoke test against the running stack: users, an encrypted room, MatrixRTC discovery,
 * OpenID → JWT on both endpoints, JWT claims, and the LiveKit room.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { RoomServiceClient, TokenVerifier } from 'livekit-server-sdk';
import type { StackInfo } from '../../stack/index.js';
import {
  createRoom,
  registerUser,
  requestOpenIdToken,
  type ProvisionedUser,
} from '../../stack/provision.js';
import { acquireStack, jwtPayload, request, type AcquiredStack } from './helpers.js';

// Computed here independently of stack/auth-service/hashing.ts (plain JSON.stringify
// is exact for these inputs: no <, >, & or U+2028/9).
const b64sha256 = (s: string) => createHash('sha256').update(s).digest('base64').replace(/=+$/, '');

let stack: AcquiredStack;
let info: StackInfo;
let alice: ProvisionedUser;
let bob: ProvisionedUser;
let roomId: string;

before(async () => {
  stack = await acquireStack();
  info = stack.info;
  alice = await registerUser(info, { displayName: 'Alice' });
  bob = await registerUser(info, { displayName: 'Bob' });
  ({ roomId } = await createRoom(info, alice, {
    encrypted: true,
    name: 'smoke',
    invite: [bob],
    autoJoin: true,
  }));
});

after(async () => {
  await stack.release();
});

void test('users and an encrypted room with both joined', { timeout: 30_000 }, async () => {
  assert.match(alice.userId, new RegExp(`^@user-[0-9a-f]{12}:${info.serverName}$`));
  assert.notEqual(alice.userId, bob.userId);
  const auth = { authorization: `Bearer ${alice.accessToken}` };
  const enc = await request(
    `${info.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.encryption/`,
    { headers: auth },
  );
  assert.equal(enc.status, 200);
  assert.equal(enc.json['algorithm'], 'm.megolm.v1.aes-sha2');
  const members = await request(
    `${info.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
    { headers: auth },
  );
  assert.deepEqual(
    Object.keys(members.json['joined'] as object).sort(),
    [alice.userId, bob.userId].sort(),
  );
  const pl = await request(
    `${info.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`,
    { headers: auth },
  );
  const events = pl.json['events'] as Record<string, number>;
  assert.equal(events['org.matrix.msc3401.call.member'], 0);
  assert.equal(events['m.room.power_levels'], 100);
});

void test('MatrixRTC discovery: /rtc/transports and .well-known', { timeout: 30_000 }, async () => {
  const expected = [{ type: 'livekit', livekit_service_url: info.authServiceUrl }];
  const transports = await request(
    `${info.homeserverUrl}/_matrix/client/unstable/org.matrix.msc4143/rtc/transports`,
    { headers: { authorization: `Bearer ${bob.accessToken}` } },
  );
  assert.equal(transports.status, 200);
  assert.deepEqual(transports.json['rtc_transports'], expected);
  const anonymous = await request(
    `${info.homeserverUrl}/_matrix/client/unstable/org.matrix.msc4143/rtc/transports`,
  );
  assert.equal(anonymous.status, 401);

  // Clients discover from the user's server name, over plain http on loopback.
  const wellKnown = await request(`http://${info.serverName}/.well-known/matrix/client`);
  assert.equal(wellKnown.status, 200);
  assert.deepEqual(wellKnown.json['m.homeserver'], { base_url: `${info.homeserverUrl}/` });
  assert.deepEqual(wellKnown.json['org.matrix.msc4143.rtc_foci'], expected);
});

void test('OpenID tokens → JWTs from /sfu/get and /get_token', { timeout: 30_000 }, async () => {
  const verifier = new TokenVerifier(info.livekitApiKey, info.livekitApiSecret);
  const expectedRoom = b64sha256(JSON.stringify([roomId, 'm.call#ROOM']));

  for (const user of [alice, bob]) {
    const openid = await requestOpenIdToken(info, user);
    assert.equal(openid.matrix_server_name, info.serverName);

    const legacy = await request(`${info.authServiceUrl}/sfu/get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      json: { room: roomId, openid_token: openid, device_id: user.deviceId },
    });
    assert.equal(legacy.status, 200, legacy.text);
    assert.equal(legacy.headers.get('access-control-allow-origin'), '*');
    assert.equal(legacy.json['url'], info.livekitUrl);
    const legacyJwt = legacy.json['jwt'] as string;
    const legacyClaims = jwtPayload(legacyJwt);
    assert.equal(legacyClaims['sub'], `${user.userId}:${user.deviceId}`);
    assert.equal((legacyClaims['video'] as Record<string, unknown>)['room'], expectedRoom);

    const memberId = randomUUID();
    const v2 = await request(`${info.authServiceUrl}/get_token`, {
      method: 'POST',
      json: {
        room_id: roomId,
        slot_id: 'm.call#ROOM',
        openid_token: await requestOpenIdToken(info, user), // fresh, as clients do
        member: { id: memberId, claimed_user_id: user.userId, claimed_device_id: user.deviceId },
      },
    });
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.json['url'], info.livekitUrl);
    const claims = jwtPayload(v2.json['jwt'] as string);
    assert.equal(claims['sub'], b64sha256(JSON.stringify([user.userId, user.deviceId, memberId])));
    assert.equal((claims['video'] as Record<string, unknown>)['room'], expectedRoom);

    // Signed with the stack's LiveKit key; grants and TTL as lk-jwt-service issues them.
    const verified = await verifier.verify(v2.json['jwt'] as string);
    assert.deepEqual(verified.video, {
      roomJoin: true,
      room: expectedRoom,
      canPublish: true,
      canSubscribe: true,
      canUpdateOwnMetadata: true,
    });
    assert.equal(claims['iss'], info.livekitApiKey);
    assert.equal((claims['exp'] as number) - (claims['nbf'] as number), 3600);

    // LiveKit accepts the token for this (now existing) room.
    const validate = await request(
      `${info.livekitUrl.replace(/^ws/, 'http')}/rtc/validate?access_token=${legacyJwt}`,
    );
    assert.equal(validate.status, 200, validate.text);
  }
});

void test('a full-access join creates the LiveKit room', { timeout: 30_000 }, async () => {
  const { roomId: freshRoom } = await createRoom(info, alice, { encrypted: true });
  const alias = b64sha256(JSON.stringify([freshRoom, 'm.call#ROOM']));
  const rooms = new RoomServiceClient(info.livekitUrl, info.livekitApiKey, info.livekitApiSecret, {
    requestTimeout: 10,
  });
  assert.deepEqual(await rooms.listRooms([alias]), [], 'room must not exist before the join');

  const res = await request(`${info.authServiceUrl}/get_token`, {
    method: 'POST',
    json: {
      room_id: freshRoom,
      slot_id: 'm.call#ROOM',
      openid_token: await requestOpenIdToken(info, alice),
      member: { id: 'm1', claimed_user_id: alice.userId, claimed_device_id: alice.deviceId },
    },
  });
  assert.equal(res.status, 200, res.text);
  const listed = await rooms.listRooms([alias]);
  assert.equal(listed.length, 1);
  const [lkRoom] = listed;
  assert.ok(lkRoom);
  assert.equal(lkRoom.name, alias);
  assert.equal(lkRoom.emptyTimeout, 300);
  assert.equal(lkRoom.departureTimeout, 20);
  await rooms.deleteRoom(alias);
});
