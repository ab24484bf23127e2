/**
 * A federated stack (own directory and ports): deployments A and B, each a Synapse with its
 * own server name, LiveKit and auth service, federating over TLS on loopback with a CA made
 * at start-up. Users of both share a room; each gets a token from its own service and a
 * subscribe token from the other's (OpenID checked over federation, TLS verified); the
 * full-access rules and the membership check hold across servers.
 */
import assert from 'node:assert/strict';
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { liveKitRoomAlias } from '../../stack/auth-service/index.js';
import {
  setFullAccessHomeservers,
  startStack,
  stopStack,
  synapseDataDir,
  type DeploymentInfo,
  type StackInfo,
} from '../../stack/index.js';
import {
  createRoom,
  joinRoom,
  registerUser,
  requestOpenIdToken,
  type ProvisionedUser,
} from '../../stack/provision.js';
import { jwtPayload, request } from './helpers.js';

let dataDir: string;
let info: StackInfo;
let a: DeploymentInfo;
let b: DeploymentInfo;
let alice: ProvisionedUser; // on A, creates the room
let carol: ProvisionedUser; // on A, joins before Bob
let bob: ProvisionedUser; // on B
let dave: ProvisionedUser; // on B, never joins
let roomId: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mc-stack-federated-'));
  const t = performance.now();
  info = await startStack({ dataDir, federated: true, healthTimeoutMs: 120_000 });
  process.stderr.write(
    `[federation] stack up in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
  );
  assert.ok(info.federation);
  ({ a, b } = info.federation);
  [alice, carol, bob, dave] = await Promise.all([
    registerUser(a, { displayName: 'Alice' }),
    registerUser(a, { displayName: 'Carol' }),
    registerUser(b, { displayName: 'Bob' }),
    registerUser(b, { displayName: 'Dave' }),
  ]);
  ({ roomId } = await createRoom(a, alice, { encrypted: true, invite: [carol, bob] }));
  await joinRoom(a, carol, roomId);
  await joinRoom(b, bob, roomId, [a.serverName]);
});

after(async () => {
  await stopStack({ dataDir });
  await rm(dataDir, { recursive: true, force: true });
});

/** GET over https; resolves with the status, or rejects with the TLS error code. */
function httpsStatus(url: string, ca?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ...(ca ? { ca } : {}), timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code ?? err.message));
    });
  });
}

async function tokenBody(d: DeploymentInfo, user: ProvisionedUser, room: string) {
  return {
    room_id: room,
    slot_id: 'm.call#ROOM',
    openid_token: await requestOpenIdToken(d, user),
    member: { id: 'm', claimed_user_id: user.userId, claimed_device_id: user.deviceId },
  };
}

const getToken = async (
  service: DeploymentInfo,
  home: DeploymentInfo,
  user: ProvisionedUser,
  room = roomId,
) =>
  request(`${service.authServiceUrl}/get_token`, {
    method: 'POST',
    json: await tokenBody(home, user, room),
  });

const validate = (d: DeploymentInfo, jwt: string) =>
  request(`${d.livekitUrl.replace(/^ws/, 'http')}/rtc/validate?access_token=${jwt}`);

const livekitRooms = (d: DeploymentInfo) =>
  new RoomServiceClient(d.livekitUrl, d.livekitApiKey, d.livekitApiSecret, { requestTimeout: 10 });

void test(
  'two deployments, their own server names, federation over verified TLS',
  { timeout: 30_000 },
  async () => {
    for (const d of [a, b]) {
      assert.ok(d.federationUrl);
      const port = new URL(d.federationUrl).port;
      assert.equal(d.serverName, `localhost:${port}`, 'the server name carries the TLS port');
      assert.notEqual(d.serverName, `localhost:${d.ports.synapse}`);
      assert.deepEqual(d.fullAccessHomeservers, [d.serverName]);
      const config = JSON.parse(
        await readFile(
          join(synapseDataDir({ dataDir, serverName: d.serverName }), 'homeserver.yaml'),
          'utf8',
        ),
      ) as Record<string, unknown>;
      assert.equal(config['federation_verify_certificates'], true);
      assert.deepEqual(config['federation_custom_ca_list'], [info.federation?.caFile]);
    }
    assert.notEqual(a.serverName, b.serverName);
    assert.equal(info.serverName, a.serverName, 'the top level is deployment A');
    assert.equal(alice.userId.split(':').slice(1).join(':'), a.serverName);
    assert.equal(bob.userId.split(':').slice(1).join(':'), b.serverName);
    const ca = await readFile(info.federation?.caFile ?? '');
    assert.equal(
      await httpsStatus(`${a.federationUrl ?? ''}/_matrix/federation/v1/version`, ca),
      200,
    );
    // Without the stack's CA the certificate is not trusted: verification is real.
    await assert.rejects(
      httpsStatus(`${b.federationUrl ?? ''}/_matrix/federation/v1/version`),
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
  },
);

void test(
  'users on A and B share a room and see each other’s events',
  { timeout: 60_000 },
  async () => {
    const send = (d: DeploymentInfo, user: ProvisionedUser, body: string) =>
      request(
        `${d.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${Date.now()}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${user.accessToken}` },
          json: { msgtype: 'm.text', body },
        },
      );
    const sees = async (d: DeploymentInfo, user: ProvisionedUser, body: string) => {
      const t = performance.now();
      for (;;) {
        const res = await request(
          `${d.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`,
          { headers: { authorization: `Bearer ${user.accessToken}` } },
        );
        const chunk = (res.json['chunk'] ?? []) as { content?: { body?: string } }[];
        if (chunk.some((e) => e.content?.body === body)) return performance.now() - t;
        if (performance.now() - t > 20_000) throw new Error(`${user.userId} never saw "${body}"`);
        await sleep(200);
      }
    };
    assert.equal((await send(a, alice, 'hello from A')).status, 200);
    await sees(b, bob, 'hello from A');
    assert.equal((await send(b, bob, 'hello from B')).status, 200);
    await sees(a, alice, 'hello from B');
    for (const [d, user] of [
      [a, alice],
      [b, bob],
    ] as const) {
      const members = await request(
        `${d.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
        { headers: { authorization: `Bearer ${user.accessToken}` } },
      );
      assert.deepEqual(
        Object.keys(members.json['joined'] as object).sort(),
        [alice.userId, bob.userId, carol.userId].sort(),
      );
    }
  },
);

void test(
  'a token from the own service and a subscribe token from the other’s, OpenID over federation',
  { timeout: 60_000 },
  async () => {
    const alias = liveKitRoomAlias(roomId);
    // Each publishes through its own service, which creates the room on its own SFU.
    const aliceOwn = await getToken(a, a, alice);
    const bobOwn = await getToken(b, b, bob);
    assert.equal(aliceOwn.status, 200, aliceOwn.text);
    assert.equal(bobOwn.status, 200, bobOwn.text);
    assert.equal(aliceOwn.json['url'], a.livekitUrl);
    assert.equal(bobOwn.json['url'], b.livekitUrl);
    assert.equal((await livekitRooms(a).listRooms([alias])).length, 1);
    assert.equal((await livekitRooms(b).listRooms([alias])).length, 1);
    // Each subscribes through the other's service (restricted there: no room creation).
    const aliceOnB = await getToken(b, a, alice);
    const bobOnA = await getToken(a, b, bob);
    assert.equal(aliceOnB.status, 200, aliceOnB.text);
    assert.equal(bobOnA.status, 200, bobOnA.text);
    assert.equal(aliceOnB.json['url'], b.livekitUrl);
    for (const [res, d] of [
      [aliceOwn, a],
      [bobOwn, b],
      [aliceOnB, b],
      [bobOnA, a],
    ] as const) {
      const jwt = res.json['jwt'] as string;
      assert.equal((jwtPayload(jwt)['video'] as Record<string, string>)['room'], alias);
      assert.equal((await validate(d, jwt)).status, 200, `LiveKit ${d.id} takes the token`);
    }
    // The services asked the users' homeservers over federation: no shortcuts configured.
    for (const name of ['auth', 'auth-b'] as const) {
      const log = await readFile(info.logs[name] ?? '', 'utf8');
      assert.match(log, /"homeserver_url_overrides":\{\}/);
      assert.match(log, /"access":"restricted"/);
    }
    // A forged token for a user of B is refused by A's service after asking B.
    const forged = await tokenBody(b, bob, roomId);
    forged.openid_token.access_token = 'forged';
    const refused = await request(`${a.authServiceUrl}/get_token`, {
      method: 'POST',
      json: forged,
    });
    assert.equal(refused.status, 401);
  },
);

void test(
  'full access only for the own users; B can be made to refuse its own',
  { timeout: 90_000 },
  async () => {
    const { roomId: fresh } = await createRoom(a, alice, { invite: [bob] });
    await joinRoom(b, bob, fresh, [a.serverName]);
    const alias = liveKitRoomAlias(fresh);
    // Alice on B's service: a token, but B's SFU gets no room from it.
    const aliceOnB = await getToken(b, a, alice, fresh);
    assert.equal(aliceOnB.status, 200, aliceOnB.text);
    assert.deepEqual(await livekitRooms(b).listRooms([alias]), []);
    const refused = await validate(b, aliceOnB.json['jwt'] as string);
    assert.equal(refused.status, 404);
    assert.match(refused.text, /room does not exist/);

    await setFullAccessHomeservers(info, 'b', []);
    try {
      assert.deepEqual(info.federation?.b.fullAccessHomeservers, []);
      const bobOwn = await getToken(b, b, bob, fresh);
      assert.equal(bobOwn.status, 200, bobOwn.text);
      assert.deepEqual(await livekitRooms(b).listRooms([alias]), [], 'not even for its own users');
      assert.equal((await validate(b, bobOwn.json['jwt'] as string)).status, 404);
    } finally {
      await setFullAccessHomeservers(info, 'b', [b.serverName]);
    }
    const bobAgain = await getToken(b, b, bob, fresh);
    assert.equal(bobAgain.status, 200);
    assert.equal((await livekitRooms(b).listRooms([alias])).length, 1, 'full access again');
    assert.equal((await validate(b, aliceOnB.json['jwt'] as string)).status, 200);
  },
);

void test('the membership check works across servers', { timeout: 60_000 }, async () => {
  // Remote joined members pass on both sides (Carol joined before B joined the room).
  assert.equal((await getToken(b, a, carol)).status, 200);
  assert.equal((await getToken(a, b, bob)).status, 200);
  // A user of B who never joined is refused by both services.
  for (const service of [a, b]) {
    const res = await getToken(service, b, dave);
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json['errcode'], 'M_FORBIDDEN');
  }
  // B's homeserver is not in this room at all: its service refuses Alice there.
  const { roomId: aOnly } = await createRoom(a, alice, {});
  const elsewhere = await getToken(b, a, alice, aOnly);
  assert.equal(elsewhere.status, 403, elsewhere.text);
  assert.equal((await getToken(a, a, alice, aOnly)).status, 200);
});
