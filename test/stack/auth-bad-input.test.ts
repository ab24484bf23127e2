/**
 * The auth service answers bad input with lk-jwt-service's status codes and errcodes,
 * and keeps serving afterwards. Also: restricted (non-full-access) homeservers, a `sub`
 * from another server, slow and broken homeservers, and no tokens in logs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { createAuthService, type AuthService } from '../../stack/auth-service/index.js';
import { installPaths } from '../../stack/config.js';
import { synapseDataDir, type StackInfo } from '../../stack/index.js';
import {
  createRoom,
  registerUser,
  requestOpenIdToken,
  type OpenIdToken,
  type ProvisionedUser,
} from '../../stack/provision.js';
import { acquireStack, jwtPayload, request, type AcquiredStack } from './helpers.js';

let stack: AcquiredStack;
let info: StackInfo;
let alice: ProvisionedUser;
let roomId: string;
/** Every secret handed to an auth service, to check none is ever logged. */
const secrets: string[] = [];

async function openId(user: ProvisionedUser = alice): Promise<OpenIdToken> {
  const token = await requestOpenIdToken(info, user);
  secrets.push(token.access_token);
  return token;
}

async function goodGetToken(user = alice) {
  return {
    room_id: roomId,
    slot_id: 'm.call#ROOM',
    openid_token: await openId(user),
    member: { id: 'member-1', claimed_user_id: user.userId, claimed_device_id: user.deviceId },
  };
}

async function post(base: string, path: string, body: unknown) {
  const res = await request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(typeof body === 'string' ? { body } : { json: body }),
  });
  if (typeof res.json['jwt'] === 'string') secrets.push(res.json['jwt']);
  return res;
}

function assertError(res: Awaited<ReturnType<typeof request>>, status: number, errcode: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json['errcode'], errcode, res.text);
  assert.equal(typeof res.json['error'], 'string');
  for (const secret of secrets)
    assert.ok(!res.text.includes(secret), 'a token leaked into an error');
}

/** /healthz answers and a good request still gets a JWT. */
async function assertStillServing(base: string) {
  const health = await request(`${base}/healthz`);
  assert.equal(health.status, 200);
  const ok = await post(base, '/get_token', await goodGetToken());
  assert.equal(ok.status, 200, ok.text);
  assert.equal(typeof ok.json['jwt'], 'string');
}

before(async () => {
  stack = await acquireStack();
  info = stack.info;
  alice = await registerUser(info);
  secrets.push(alice.accessToken, alice.password);
  ({ roomId } = await createRoom(info, alice, { encrypted: true }));
});

after(async () => {
  await stack.release();
});

void describe('main auth service', () => {
  const base = () => info.authServiceUrl;

  void test('missing fields → 400 M_BAD_JSON', { timeout: 60_000 }, async () => {
    const good = await goodGetToken();
    const cases: [string, unknown][] = [
      ['/get_token', { ...good, room_id: '' }],
      ['/get_token', { ...good, slot_id: undefined }],
      ['/get_token', { ...good, member: undefined }],
      ['/get_token', { ...good, member: { ...good.member, claimed_device_id: '' } }],
      ['/get_token', { ...good, openid_token: { ...good.openid_token, access_token: '' } }],
      ['/get_token', { ...good, openid_token: { ...good.openid_token, matrix_server_name: null } }],
      ['/get_token', { ...good, delay_id: 'abc' }], // delay_id without delay_timeout
      ['/get_token', {}],
      ['/get_token', 'null'],
      ['/sfu/get', { openid_token: good.openid_token, device_id: 'D' }],
      ['/sfu/get', { room: roomId, device_id: 'D' }],
      ['/sfu/get', { room: roomId, openid_token: good.openid_token, delay_timeout: 1000 }],
    ];
    for (const [path, body] of cases) {
      assertError(await post(base(), path, body), 400, 'M_BAD_JSON');
    }
    await assertStillServing(base());
  });

  void test(
    'non-JSON, unknown fields, wrong types → 400 M_NOT_JSON',
    { timeout: 60_000 },
    async () => {
      const good = await goodGetToken();
      const cases: [string, unknown][] = [
        ['/get_token', 'this is not json'],
        ['/get_token', ''],
        ['/get_token', '{"room_id": "!a:b",'],
        ['/get_token', { ...good, unexpected: true }],
        ['/get_token', { ...good, member: { ...good.member, extra: 1 } }],
        ['/get_token', { ...good, room_id: 42 }],
        ['/get_token', { ...good, openid_token: { ...good.openid_token, expires_in: 'soon' } }],
        ['/sfu/get', '[1,2,3]'],
        ['/sfu/get', { room: roomId, openid_token: good.openid_token, device_id: ['D'] }],
      ];
      for (const [path, body] of cases) {
        assertError(await post(base(), path, body), 400, 'M_NOT_JSON');
      }
      await assertStillServing(base());
    },
  );

  void test(
    'wrong method → 405; preflight → 200 with CORS; unknown path → 404',
    { timeout: 30_000 },
    async () => {
      for (const [method, path] of [
        ['GET', '/get_token'],
        ['PUT', '/get_token'],
        ['GET', '/sfu/get'],
        ['DELETE', '/sfu/get'],
        ['POST', '/healthz'],
      ] as const) {
        const res = await request(`${base()}${path}`, { method });
        assertError(res, 405, 'M_UNRECOGNIZED');
      }
      const preflight = await request(`${base()}/get_token`, {
        method: 'OPTIONS',
        headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.status, 200);
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Content-Type/);
      assertError(await request(`${base()}/nope`), 404, 'M_UNRECOGNIZED');
      const head = await request(`${base()}/healthz`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      await assertStillServing(base());
    },
  );

  void test('1 MB body → 413', { timeout: 30_000 }, async () => {
    const good = await goodGetToken();
    const big = JSON.stringify({ ...good, padding: 'x'.repeat(1024 * 1024) });
    assertError(await post(base(), '/get_token', big), 413, 'M_TOO_LARGE');
    assertError(await post(base(), '/sfu/get', 'y'.repeat(1024 * 1024)), 413, 'M_TOO_LARGE');
    await assertStillServing(base());
  });

  void test(
    'forged, garbage and expired OpenID tokens → 401 M_UNAUTHORIZED',
    { timeout: 60_000 },
    async () => {
      const good = await goodGetToken();
      const forged = 'forged' + 'A'.repeat(18);
      for (const accessToken of [forged, '../../../etc/passwd', '%00%0a', 'x'.repeat(2000)]) {
        secrets.push(accessToken);
        const body = { ...good, openid_token: { ...good.openid_token, access_token: accessToken } };
        assertError(await post(base(), '/get_token', body), 401, 'M_UNAUTHORIZED');
        const legacy = { room: roomId, openid_token: body.openid_token, device_id: 'D' };
        assertError(await post(base(), '/sfu/get', legacy), 401, 'M_UNAUTHORIZED');
      }

      // Expire a real token the way Synapse itself would see it (ts_valid_until_ms in the past).
      const expiring = await openId();
      const beforeExpiry = await post(base(), '/get_token', { ...good, openid_token: expiring });
      assert.equal(beforeExpiry.status, 200, beforeExpiry.text);
      const db = join(synapseDataDir(info), 'homeserver.db');
      const script =
        'import sqlite3,sys\n' +
        'c=sqlite3.connect(sys.argv[1],timeout=10)\n' +
        'n=c.execute("UPDATE open_id_tokens SET ts_valid_until_ms=0 WHERE token=?",(sys.argv[2],)).rowcount\n' +
        'c.commit();print(n)';
      const { stdout } = await promisify(execFile)(
        installPaths().python,
        ['-c', script, db, expiring.access_token],
        {
          timeout: 15_000,
        },
      );
      assert.equal(stdout.trim(), '1', 'the token row was not found');
      const expired = { ...good, openid_token: expiring };
      assertError(await post(base(), '/get_token', expired), 401, 'M_UNAUTHORIZED');

      // A token for a server name that is not a server name at all.
      const weird = {
        ...good,
        openid_token: { ...good.openid_token, matrix_server_name: 'evil.example/x?' },
      };
      assertError(await post(base(), '/get_token', weird), 401, 'M_UNAUTHORIZED');
      await assertStillServing(base());
    },
  );

  void test('claimed_user_id ≠ sub → 401 M_UNAUTHORIZED', { timeout: 30_000 }, async () => {
    const good = await goodGetToken();
    const bob = await registerUser(info);
    secrets.push(bob.accessToken);
    const body = { ...good, member: { ...good.member, claimed_user_id: bob.userId } };
    assertError(await post(base(), '/get_token', body), 401, 'M_UNAUTHORIZED');
    // Bob's token claimed as Alice.
    const swapped = { ...(await goodGetToken(bob)), member: good.member };
    assertError(await post(base(), '/get_token', swapped), 401, 'M_UNAUTHORIZED');
    await assertStillServing(base());
  });

  void test('the service log contains no token', { timeout: 30_000 }, async () => {
    const logPath = info.logs.auth;
    assert.ok(logPath, 'auth log path recorded');
    await sleep(200); // log lines are written when responses close
    const log = await readFile(logPath, 'utf8');
    assert.match(log, /"path":"\/get_token"/);
    for (const secret of secrets)
      assert.ok(!log.includes(secret), 'a secret appears in the auth log');
    assert.ok(!log.includes(info.livekitApiSecret), 'the LiveKit secret appears in the auth log');
  });
});

void describe('second instance: restricted homeserver and fake homeservers', () => {
  let fakeHs: Server;
  let fakeUrl: string;
  let restricted: AuthService;
  const logLines: string[] = [];

  before(async () => {
    // A fake homeserver: the token's text picks the answer.
    fakeHs = createServer((req, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('access_token');
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (token === 'other-server') json(200, { sub: '@x:other.example' });
      else if (token === 'good') json(200, { sub: '@x:fake.example' });
      else if (token === 'no-sub') json(200, {});
      else if (token === 'not-json') res.writeHead(200).end('hello');
      else if (token === 'server-error') json(500, { errcode: 'M_UNKNOWN' });
      else if (token === 'slow')
        setTimeout(() => {
          json(200, { sub: '@x:fake.example' });
        }, 3000);
      else json(401, { errcode: 'M_UNKNOWN_TOKEN' });
    });
    await new Promise<void>((resolve) => fakeHs.listen(0, '127.0.0.1', resolve));
    fakeUrl = `http://127.0.0.1:${(fakeHs.address() as AddressInfo).port}`;
    restricted = await createAuthService({
      livekitUrl: info.livekitUrl,
      livekitKey: info.livekitApiKey,
      livekitSecret: info.livekitApiSecret,
      fullAccessHomeservers: ['other.example'], // excludes localhost:8008 and fake.example
      homeserverUrlOverrides: { [info.serverName]: info.homeserverUrl, 'fake.example': fakeUrl },
      openIdTimeoutMs: 1000,
      log: (line) => logLines.push(line),
    });
  });

  after(async () => {
    await restricted.close();
    fakeHs.closeAllConnections();
    await new Promise<void>((resolve) =>
      fakeHs.close(() => {
        resolve();
      }),
    );
  });

  const fakeRequest = (accessToken: string) => ({
    room_id: roomId,
    slot_id: 'm.call#ROOM',
    openid_token: {
      access_token: accessToken,
      token_type: 'Bearer',
      matrix_server_name: 'fake.example',
      expires_in: 3600,
    },
    member: { id: 'm', claimed_user_id: '@x:fake.example', claimed_device_id: 'D' },
  });

  void test(
    'a sub from another server → 401; the fake homeserver path itself works',
    { timeout: 30_000 },
    async () => {
      const ok = await post(restricted.url, '/get_token', fakeRequest('good'));
      assert.equal(ok.status, 200, ok.text);
      assert.equal(jwtPayload(ok.json['jwt'] as string)['iss'], info.livekitApiKey);

      const other = fakeRequest('other-server');
      other.member.claimed_user_id = '@x:other.example';
      assertError(await post(restricted.url, '/get_token', other), 401, 'M_UNAUTHORIZED');
      assertError(
        await post(restricted.url, '/sfu/get', {
          room: roomId,
          openid_token: other.openid_token,
          device_id: 'D',
        }),
        401,
        'M_UNAUTHORIZED',
      );
      await assertStillServing(restricted.url);
    },
  );

  void test(
    'broken or slow homeservers → 401, bounded by the timeout',
    { timeout: 30_000 },
    async () => {
      for (const token of ['no-sub', 'not-json', 'server-error', 'unknown']) {
        assertError(
          await post(restricted.url, '/get_token', fakeRequest(token)),
          401,
          'M_UNAUTHORIZED',
        );
      }
      const t0 = Date.now();
      assertError(
        await post(restricted.url, '/get_token', fakeRequest('slow')),
        401,
        'M_UNAUTHORIZED',
      );
      const took = Date.now() - t0;
      assert.ok(took >= 900 && took < 2500, `slow homeserver answer took ${took} ms`);
      // No mapping and no such host: fails, does not hang.
      const unmapped = fakeRequest('good');
      unmapped.openid_token.matrix_server_name = 'unmapped.invalid';
      assertError(await post(restricted.url, '/get_token', unmapped), 401, 'M_UNAUTHORIZED');
      await assertStillServing(restricted.url);
    },
  );

  void test(
    'non-full-access: token issued, but LiveKit refuses until the room exists',
    { timeout: 60_000 },
    async () => {
      const { roomId: fresh } = await createRoom(info, alice, { encrypted: true });
      const body = { ...(await goodGetToken()), room_id: fresh };
      const res = await post(restricted.url, '/get_token', body);
      assert.equal(res.status, 200, res.text); // like lk-jwt-service: no room check here
      const jwt = res.json['jwt'] as string;
      const alias = (jwtPayload(jwt)['video'] as Record<string, string>)['room'];
      assert.ok(alias);

      const rooms = new RoomServiceClient(
        info.livekitUrl,
        info.livekitApiKey,
        info.livekitApiSecret,
        {
          requestTimeout: 10,
        },
      );
      assert.deepEqual(
        await rooms.listRooms([alias]),
        [],
        'a restricted user must not create the room',
      );
      const validate = () =>
        request(`${info.livekitUrl.replace(/^ws/, 'http')}/rtc/validate?access_token=${jwt}`);
      const refused = await validate();
      assert.equal(refused.status, 404, refused.text);
      assert.match(refused.text, /room does not exist/);

      // A full-access user (main service) joins first and so creates the room…
      const full = await post(info.authServiceUrl, '/get_token', {
        ...(await goodGetToken()),
        room_id: fresh,
      });
      assert.equal(full.status, 200, full.text);
      assert.equal((await rooms.listRooms([alias])).length, 1);
      // …after which the restricted user's token (and a new one) is accepted.
      assert.equal((await validate()).status, 200);
      const again = await post(restricted.url, '/get_token', {
        ...(await goodGetToken()),
        room_id: fresh,
      });
      assert.equal(again.status, 200, again.text);
      await rooms.deleteRoom(alias);
      await assertStillServing(restricted.url);
    },
  );

  void test('its log lines carry user and status, never a token', () => {
    const joined = logLines.join('\n');
    assert.match(joined, /"status":401/);
    assert.match(joined, /"user":"@x:fake\.example"/);
    for (const secret of secrets)
      assert.ok(!joined.includes(secret), 'a secret appears in the log');
    for (const t of ['other-server', 'not-json', 'server-error']) {
      assert.ok(!joined.includes(`"${t}"`), `token ${t} appears in the log`);
    }
  });
});
