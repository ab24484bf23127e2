/**
 * Delegated delayed leave events with the real Synapse and LiveKit: a client schedules a
 * delayed leave for its real call membership, hands it to the auth service and stops
 * restarting it. The membership survives well past the delay while its LiveKit participant
 * is connected, and goes as soon as the participant leaves. A client that never delegates
 * is left alone. Plus the refusals, and a webhook without a valid signature.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import {
  createAuthService,
  liveKitRoomAlias,
  type AuthService,
} from '../../stack/auth-service/index.js';
import type { StackInfo } from '../../stack/index.js';
import {
  createRoom,
  registerUser,
  requestOpenIdToken,
  type ProvisionedUser,
} from '../../stack/provision.js';
import { acquireStack, jwtPayload, request, type AcquiredStack } from './helpers.js';
import { LiveKitParticipants } from './livekit-participants.js';

const MEMBER = 'org.matrix.msc3401.call.member';
const DELAY_MS = 6000;

let stack: AcquiredStack;
let info: StackInfo;

before(async () => {
  stack = await acquireStack();
  info = stack.info;
});

after(async () => {
  await stack.release();
});

/** A call member: a room member with a delayed leave and a membership state event. */
class CallMember {
  readonly stateKey: string;
  delayId = '';
  /** When the delayed leave was scheduled (performance.now()). */
  scheduledAt = 0;
  readonly memberId: string;

  constructor(
    readonly user: ProvisionedUser,
    readonly roomId: string,
  ) {
    this.stateKey = `_${user.userId}_${user.deviceId}_m.call`;
    this.memberId = `${user.userId}:${user.deviceId}`;
  }

  private stateUrl(query = '') {
    return (
      `${info.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(this.roomId)}` +
      `/state/${MEMBER}/${encodeURIComponent(this.stateKey)}${query}`
    );
  }

  private get auth() {
    return { authorization: `Bearer ${this.user.accessToken}` };
  }

  /** As matrix-js-sdk joins: the delayed leave (`{}`) first, then the membership. */
  async join(): Promise<void> {
    const delayed = await request(this.stateUrl(`?org.matrix.msc4140.delay=${DELAY_MS}`), {
      method: 'PUT',
      headers: this.auth,
      json: {},
    });
    assert.equal(delayed.status, 200, delayed.text);
    this.delayId = delayed.json['delay_id'] as string;
    this.scheduledAt = performance.now();
    assert.ok(this.delayId);
    const joined = await request(this.stateUrl(), {
      method: 'PUT',
      headers: this.auth,
      json: {
        application: 'm.call',
        call_id: '',
        scope: 'm.room',
        device_id: this.user.deviceId,
        membershipID: this.memberId,
        expires: 14_400_000,
        focus_active: { type: 'livekit', focus_selection: 'multi_sfu' },
        foci_preferred: [
          { type: 'livekit', livekit_service_url: info.authServiceUrl, livekit_alias: this.roomId },
        ],
      },
    });
    assert.equal(joined.status, 200, joined.text);
  }

  /** true while the membership has content, false once the leave (`{}`) was sent. */
  async isMember(): Promise<boolean> {
    const res = await request(this.stateUrl(), { headers: this.auth });
    assert.equal(res.status, 200, res.text);
    return Object.keys(res.json).length > 0;
  }

  async tokenRequest(delegate: boolean) {
    return {
      room_id: this.roomId,
      slot_id: 'm.call#ROOM',
      openid_token: await requestOpenIdToken(info, this.user),
      member: {
        id: this.memberId,
        claimed_user_id: this.user.userId,
        claimed_device_id: this.user.deviceId,
      },
      ...(delegate
        ? {
            delay_id: this.delayId,
            delay_timeout: DELAY_MS,
            delay_cs_api_url: info.homeserverUrl,
          }
        : {}),
    };
  }

  async jwt(delegate: boolean): Promise<string> {
    const res = await request(`${info.authServiceUrl}/get_token`, {
      method: 'POST',
      json: await this.tokenRequest(delegate),
    });
    assert.equal(res.status, 200, res.text);
    return res.json['jwt'] as string;
  }
}

async function waitUntilGone(member: CallMember, timeoutMs: number): Promise<number> {
  const t = performance.now();
  while (await member.isMember()) {
    if (performance.now() - t > timeoutMs) {
      throw new Error(`${member.user.userId} is still a call member after ${timeoutMs} ms`);
    }
    await sleep(100);
  }
  return performance.now() - t;
}

void describe('with a real participant', () => {
  let participants: LiveKitParticipants;

  before(async () => {
    participants = await LiveKitParticipants.launch();
  });

  after(async () => {
    await participants.close();
  });

  void test(
    'delegated leaves outlive the delay while connected and are sent on leaving; others are untouched',
    { timeout: 120_000 },
    async () => {
      const [alice, bob, carol] = await Promise.all([
        registerUser(info),
        registerUser(info),
        registerUser(info),
      ]);
      const { roomId } = await createRoom(info, alice, {
        encrypted: true,
        invite: [bob, carol],
        autoJoin: true,
      });
      const viaToken = new CallMember(alice, roomId); // delegates with /get_token
      const viaDelegate = new CallMember(bob, roomId); // delegates after connecting
      const never = new CallMember(carol, roomId); // never delegates
      await Promise.all([viaToken.join(), viaDelegate.join(), never.join()]);

      const jwtA = await viaToken.jwt(true);
      const jwtB = await viaDelegate.jwt(false);
      const jwtC = await never.jwt(false);
      const [pA, pB, pC] = await Promise.all([
        participants.join(info.livekitUrl, jwtA),
        participants.join(info.livekitUrl, jwtB),
        participants.join(info.livekitUrl, jwtC),
      ]);
      assert.equal(pA.identity, jwtPayload(jwtA)['sub']);
      const delegated = await request(`${info.authServiceUrl}/delegate_delayed_leave`, {
        method: 'POST',
        json: await viaDelegate.tokenRequest(true),
      });
      assert.equal(delegated.status, 200, delegated.text);
      assert.deepEqual(delegated.json, {});

      // Nobody restarts from the client side from here on. The homeserver would send the
      // leaves after 6 s; the service keeps the delegated ones alive.
      await waitUntilGone(never, DELAY_MS + 6000);
      const carolGoneAt = performance.now() - never.scheduledAt;
      assert.ok(
        carolGoneAt >= DELAY_MS - 200,
        `a non-delegated leave follows its own timer (gone after ${carolGoneAt.toFixed(0)} ms)`,
      );
      const since = Math.min(viaToken.scheduledAt, viaDelegate.scheduledAt);
      await sleep(Math.max(0, 2.5 * DELAY_MS - (performance.now() - since)));
      assert.ok(await viaToken.isMember(), 'delegated via /get_token: still a member at 2.5×');
      assert.ok(
        await viaDelegate.isMember(),
        'delegated via /delegate_delayed_leave: still a member',
      );

      // Leaving LiveKit makes the service send the leave at once.
      const leftAt = performance.now();
      await Promise.all([pA.leave(), pB.drop(), pC.leave()]);
      const [goneA, goneB] = await Promise.all([
        waitUntilGone(viaToken, 5000),
        waitUntilGone(viaDelegate, 5000),
      ]);
      process.stderr.write(
        `[delegated-leave] leave sent ${(goneA / 1000).toFixed(1)} s after a clean leave, ` +
          `${(goneB / 1000).toFixed(1)} s after a dropped connection ` +
          `(${((performance.now() - leftAt) / 1000).toFixed(1)} s in all)\n`,
      );
    },
  );
});

void describe('refusals', () => {
  let relay: Server;
  let relayHits = 0;
  let restricted: AuthService;
  let unresolvable: AuthService;
  let fakeHs: Server;
  let alice: ProvisionedUser;
  let roomId: string;

  before(async () => {
    alice = await registerUser(info);
    ({ roomId } = await createRoom(info, alice, { encrypted: true }));
    // Stands for any URL a client might name in delay_cs_api_url.
    relay = createServer((_req, res) => {
      relayHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    // A homeserver that answers OpenID for @x:fake.example and has no discoverable CS API.
    fakeHs = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"sub":"@x:fake.example"}');
    });
    await new Promise<void>((resolve) => fakeHs.listen(0, '127.0.0.1', resolve));
    const common = {
      livekitUrl: info.livekitUrl,
      livekitKey: info.livekitApiKey,
      livekitSecret: info.livekitApiSecret,
      log: () => undefined,
    };
    restricted = await createAuthService({
      ...common,
      fullAccessHomeservers: ['other.example'],
      homeserverUrlOverrides: { [info.serverName]: info.synapseUrl },
      csApiUrlOverrides: { [info.serverName]: info.synapseUrl },
    });
    unresolvable = await createAuthService({
      ...common,
      fullAccessHomeservers: ['fake.example'],
      homeserverUrlOverrides: {
        'fake.example': `http://127.0.0.1:${(fakeHs.address() as AddressInfo).port}`,
      },
    });
  });

  after(async () => {
    await Promise.all([restricted.close(), unresolvable.close()]);
    for (const server of [relay, fakeHs]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    }
  });

  async function delegateBody(extra: Record<string, unknown> = {}) {
    return {
      room_id: roomId,
      slot_id: 'm.call#ROOM',
      openid_token: await requestOpenIdToken(info, alice),
      member: { id: 'm1', claimed_user_id: alice.userId, claimed_device_id: alice.deviceId },
      delay_id: 'syd_nonexistent',
      delay_timeout: 10_000,
      delay_cs_api_url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
      ...extra,
    };
  }

  const post = (base: string, path: string, json: unknown) =>
    request(`${base}${path}`, { method: 'POST', json });

  void test(
    '/delegate_delayed_leave: bad input and users it may not serve',
    { timeout: 60_000 },
    async () => {
      const base = info.authServiceUrl;
      for (const extra of [
        { delay_id: '' },
        { delay_timeout: 0 },
        { room_id: '' },
        { member: {} },
      ]) {
        const res = await post(base, '/delegate_delayed_leave', await delegateBody(extra));
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json['errcode'], 'M_BAD_JSON');
      }
      const unknownField = await post(base, '/delegate_delayed_leave', {
        ...(await delegateBody()),
        extra: 1,
      });
      assert.equal(unknownField.json['errcode'], 'M_NOT_JSON');
      const forged = await delegateBody();
      forged.openid_token.access_token = 'forged-token';
      const unauthorised = await post(base, '/delegate_delayed_leave', forged);
      assert.equal(unauthorised.status, 401);
      assert.equal(unauthorised.json['errcode'], 'M_UNAUTHORIZED');
      const wrongMethod = await request(`${base}/delegate_delayed_leave`);
      assert.equal(wrongMethod.status, 405);

      const notFull = await post(restricted.url, '/delegate_delayed_leave', await delegateBody());
      assert.equal(notFull.status, 403, notFull.text);
      assert.equal(notFull.json['errcode'], 'M_FORBIDDEN');
      assert.equal(restricted.delayedLeaves.size, 0);
    },
  );

  void test(
    'token endpoints: restricted users and unknown CS APIs get 400 M_BAD_JSON',
    { timeout: 60_000 },
    async () => {
      const restrictedToken = await post(restricted.url, '/get_token', await delegateBody());
      assert.equal(restrictedToken.status, 400, restrictedToken.text);
      assert.equal(restrictedToken.json['errcode'], 'M_BAD_JSON');
      assert.match(restrictedToken.json['error'] as string, /only supported for full access users/);
      const legacy = await post(restricted.url, '/sfu/get', {
        room: roomId,
        openid_token: await requestOpenIdToken(info, alice),
        device_id: alice.deviceId,
        delay_id: 'syd_x',
        delay_timeout: 1000,
      });
      assert.equal(legacy.status, 400);
      // Without the delay fields the same request is fine (Element Call's retry).
      const {
        delay_id: _a,
        delay_timeout: _b,
        delay_cs_api_url: _c,
        ...plain
      } = await delegateBody();
      assert.equal((await post(restricted.url, '/get_token', plain)).status, 200);

      // A full-access homeserver whose CS API cannot be found: refused, and no room created.
      const fakeBody = {
        ...(await delegateBody()),
        room_id: '!fresh:fake.example',
        openid_token: {
          access_token: 'good',
          token_type: 'Bearer',
          matrix_server_name: 'fake.example',
          expires_in: 3600,
        },
        member: { id: 'm', claimed_user_id: '@x:fake.example', claimed_device_id: 'D' },
      };
      const refused = await post(unresolvable.url, '/get_token', fakeBody);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json['errcode'], 'M_BAD_JSON');
      assert.match(refused.json['error'] as string, /Unable to resolve client-server API/);
      const rooms = new RoomServiceClient(
        info.livekitUrl,
        info.livekitApiKey,
        info.livekitApiSecret,
      );
      assert.deepEqual(await rooms.listRooms([liveKitRoomAlias(fakeBody.room_id)]), []);
      const delegateRefused = await post(unresolvable.url, '/delegate_delayed_leave', fakeBody);
      assert.equal(delegateRefused.status, 400);
      assert.equal(unresolvable.delayedLeaves.size, 0);
    },
  );

  void test('delay_cs_api_url is never contacted', { timeout: 30_000 }, async () => {
    const ok = await post(info.authServiceUrl, '/get_token', await delegateBody());
    assert.equal(ok.status, 200, ok.text);
    const delegated = await post(
      info.authServiceUrl,
      '/delegate_delayed_leave',
      await delegateBody(),
    );
    assert.equal(delegated.status, 200, delegated.text);
    await sleep(1500);
    assert.equal(relayHits, 0);
  });

  void test('a webhook without a valid signature → 401', { timeout: 10_000 }, async () => {
    const event = JSON.stringify({ event: 'participant_left', room: { name: 'r' } });
    for (const authorization of [undefined, 'not-a-jwt']) {
      const res = await request(`${info.authServiceUrl}/sfu_webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/webhook+json',
          ...(authorization ? { authorization } : {}),
        },
        body: event,
      });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.json['errcode'], 'M_UNAUTHORIZED');
    }
  });
});
