/**
 * Auth service hardening beyond lk-jwt-service: a token only for users joined to the room
 * (checked with the homeserver through the stack's admin service account), and a cap on the
 * LiveKit rooms one user can have created per minute.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuthService, type AuthService } from '../../stack/auth-service/index.js';
import { serviceAccountTokenFile } from '../../stack/service-account.js';
import type { StackInfo } from '../../stack/index.js';
import {
  createRoom,
  joinRoom,
  registerUser,
  requestOpenIdToken,
  type ProvisionedUser,
} from '../../stack/provision.js';
import { acquireStack, freePort, request, type AcquiredStack } from './helpers.js';

let stack: AcquiredStack;
let info: StackInfo;
let adminToken: string;

before(async () => {
  stack = await acquireStack();
  info = stack.info;
  adminToken = (await readFile(serviceAccountTokenFile(info.dataDir, 'auth'), 'utf8')).trim();
});

after(async () => {
  await stack.release();
});

async function tokenBody(user: ProvisionedUser, roomId: string) {
  return {
    room_id: roomId,
    slot_id: 'm.call#ROOM',
    openid_token: await requestOpenIdToken(info, user),
    member: { id: 'm', claimed_user_id: user.userId, claimed_device_id: user.deviceId },
  };
}

const post = (base: string, path: string, json: unknown) =>
  request(`${base}${path}`, { method: 'POST', json });

void describe('room membership check (on in the stack)', () => {
  void test('StackInfo says so and the service logs it', { timeout: 10_000 }, async () => {
    assert.equal(info.membershipCheck, true);
    assert.equal(info.roomCreationLimitPerMinute, 20);
    await sleep(100);
    const log = await readFile(info.logs.auth ?? '', 'utf8');
    assert.match(log, /"membership_check":"http:\/\/127\.0\.0\.1:\d+"/);
    assert.match(log, /"room_creation_limit_per_minute":20/);
  });

  void test('only joined members get a token, on every endpoint', { timeout: 60_000 }, async () => {
    const [alice, mallory, invited] = await Promise.all([
      registerUser(info),
      registerUser(info),
      registerUser(info),
    ]);
    const { roomId } = await createRoom(info, alice, { encrypted: true, invite: [invited] });
    const base = info.authServiceUrl;
    const refused = async (user: ProvisionedUser, room: string) => {
      for (const [path, body] of [
        ['/get_token', await tokenBody(user, room)],
        ['/sfu/get', { room, openid_token: await requestOpenIdToken(info, user), device_id: 'D' }],
        [
          '/delegate_delayed_leave',
          { ...(await tokenBody(user, room)), delay_id: 'syd_x', delay_timeout: 5000 },
        ],
      ] as const) {
        const res = await post(base, path, body);
        assert.equal(res.status, 403, `${path}: ${res.text}`);
        assert.equal(res.json['errcode'], 'M_FORBIDDEN');
        assert.match(res.json['error'] as string, /not joined to this room/);
        assert.ok(!res.text.includes(adminToken));
      }
    };
    assert.equal((await post(base, '/get_token', await tokenBody(alice, roomId))).status, 200);
    await refused(mallory, roomId); // never in the room
    await refused(invited, roomId); // invited, not joined
    await refused(alice, '!unknown:localhost'); // a room the homeserver does not know
    await joinRoom(info, invited, roomId);
    assert.equal((await post(base, '/get_token', await tokenBody(invited, roomId))).status, 200);
    // Leaving ends it: no new tokens.
    const left = await request(
      `${info.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`,
      { method: 'POST', headers: { authorization: `Bearer ${invited.accessToken}` }, json: {} },
    );
    assert.equal(left.status, 200, left.text);
    await refused(invited, roomId);
  });

  void test(
    'a homeserver that cannot be asked → 503, not a token',
    { timeout: 30_000 },
    async () => {
      const service = await createAuthService({
        livekitUrl: info.livekitUrl,
        livekitKey: info.livekitApiKey,
        livekitSecret: info.livekitApiSecret,
        fullAccessHomeservers: [info.serverName],
        homeserverUrlOverrides: { [info.serverName]: info.synapseUrl },
        membershipCheck: {
          homeserverUrl: `http://127.0.0.1:${await freePort()}`,
          accessToken: adminToken,
          timeoutMs: 2000,
        },
        log: () => undefined,
      });
      try {
        const alice = await registerUser(info);
        const { roomId } = await createRoom(info, alice, {});
        const res = await post(service.url, '/get_token', await tokenBody(alice, roomId));
        assert.equal(res.status, 503, res.text);
        assert.equal(res.json['errcode'], 'M_UNKNOWN');
        assert.match(res.json['error'] as string, /membership could not be checked/);
      } finally {
        await service.close();
      }
    },
  );

  void test('the service account token never reaches a log', { timeout: 10_000 }, async () => {
    const log = await readFile(info.logs.auth ?? '', 'utf8');
    assert.ok(!log.includes(adminToken));
    const stateJson = await readFile(`${info.dataDir}/state.json`, 'utf8');
    assert.ok(!stateJson.includes(adminToken), 'not in state.json either');
  });
});

void describe('room creation cap', () => {
  let capped: AuthService;
  const lines: string[] = [];

  before(async () => {
    capped = await createAuthService({
      livekitUrl: info.livekitUrl,
      livekitKey: info.livekitApiKey,
      livekitSecret: info.livekitApiSecret,
      fullAccessHomeservers: [info.serverName],
      homeserverUrlOverrides: { [info.serverName]: info.synapseUrl },
      membershipCheck: { homeserverUrl: info.synapseUrl, accessToken: adminToken },
      roomCreationLimitPerMinute: 3,
      log: (line) => lines.push(line),
    });
  });

  after(async () => {
    await capped.close();
  });

  void test(
    'the 4th new room in a minute → 429 with retry_after_ms; existing rooms and other users are fine',
    { timeout: 60_000 },
    async () => {
      const [alice, bob] = await Promise.all([registerUser(info), registerUser(info)]);
      const rooms: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { roomId } = await createRoom(info, alice, { invite: [bob], autoJoin: true });
        rooms.push(roomId);
      }
      const [r0, r1, r2, r3, r4] = rooms as [string, string, string, string, string];
      for (const room of [r0, r1, r2]) {
        const ok = await post(capped.url, '/get_token', await tokenBody(alice, room));
        assert.equal(ok.status, 200, ok.text);
      }
      const t = Date.now();
      const limited = await post(capped.url, '/get_token', await tokenBody(alice, r3));
      assert.equal(limited.status, 429, limited.text);
      assert.equal(limited.json['errcode'], 'M_LIMIT_EXCEEDED');
      assert.match(limited.json['error'] as string, /at most 3 per minute/);
      const retry = limited.json['retry_after_ms'] as number;
      assert.ok(retry > 0 && retry <= 60_000 - (Date.now() - t) + 1000, `retry_after_ms ${retry}`);
      // The legacy endpoint counts the same.
      const legacy = await post(capped.url, '/sfu/get', {
        room: r4,
        openid_token: await requestOpenIdToken(info, alice),
        device_id: alice.deviceId,
      });
      assert.equal(legacy.status, 429);
      // Rejoining a room that exists is not a creation.
      assert.equal((await post(capped.url, '/get_token', await tokenBody(alice, r1))).status, 200);
      // Another user may create (and so Alice may then join that room).
      assert.equal((await post(capped.url, '/get_token', await tokenBody(bob, r3))).status, 200);
      assert.equal((await post(capped.url, '/get_token', await tokenBody(alice, r3))).status, 200);
      assert.ok(lines.some((l) => l.includes('"errcode":"M_LIMIT_EXCEEDED"')));
    },
  );
});
