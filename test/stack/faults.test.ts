/**
 * Fault controls on a separate stack instance (own directory and ports): the homeserver proxy
 * (latency on requests and on responses, jitter, drops of each kind, changes at runtime),
 * pausing Synapse, and restarting LiveKit on the same ports.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import {
  homeserverProxyStats,
  pauseService,
  readStackInfo,
  restartService,
  resumeService,
  setHomeserverFaults,
  startStack,
  stopStack,
  type StackInfo,
} from '../../stack/index.js';
import {
  createRoom,
  registerUser,
  requestOpenIdToken,
  type ProvisionedUser,
} from '../../stack/provision.js';
import { freePort, request } from './helpers.js';

let dataDir: string;
let info: StackInfo;
let alice: ProvisionedUser;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mc-stack-faults-'));
  info = await startStack({
    dataDir,
    homeserverProxy: { port: await freePort() },
    ports: {
      synapse: await freePort(),
      livekit: await freePort(),
      livekitTcp: await freePort(),
      livekitUdp: await freePort(),
      auth: await freePort(),
    },
    healthTimeoutMs: 60_000,
  });
  alice = await registerUser(info);
});

after(async () => {
  await stopStack({ dataDir });
  await rm(dataDir, { recursive: true, force: true });
});

/** Milliseconds one GET through the proxy takes. */
async function timedGet(path = '/_matrix/client/versions'): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${info.homeserverUrl}${path}`, { signal: AbortSignal.timeout(20_000) });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  return performance.now() - t;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

void describe('homeserver proxy', () => {
  void test(
    'clients get the proxy; Synapse and tools stay direct',
    { timeout: 30_000 },
    async () => {
      assert.ok(info.homeserverProxy);
      assert.equal(info.homeserverUrl, info.homeserverProxy.url);
      assert.equal(info.synapseUrl, `http://127.0.0.1:${info.ports.synapse}`);
      assert.ok(info.services.includes('proxy'));
      assert.equal(alice.homeserverUrl, info.homeserverUrl);
      const wellKnown = await request(`http://${info.serverName}/.well-known/matrix/client`);
      assert.deepEqual(wellKnown.json['m.homeserver'], { base_url: `${info.homeserverUrl}/` });
      const viaProxy = await request(`${info.homeserverUrl}/_matrix/client/v3/account/whoami`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
      assert.equal(viaProxy.status, 200, viaProxy.text);
      assert.equal(viaProxy.json['user_id'], alice.userId);
      assert.equal(viaProxy.headers.get('access-control-allow-origin'), '*');
    },
  );

  void test(
    'latency and jitter: added within bounds, switched at runtime',
    { timeout: 60_000 },
    async () => {
      await setHomeserverFaults(info, { latencyMs: 0, jitterMs: 0 });
      const base = median(await Promise.all([timedGet(), timedGet(), timedGet()]));

      assert.deepEqual(await setHomeserverFaults(info, { latencyMs: 300 }), {
        latencyMs: 300,
        jitterMs: 0,
        dropPercent: 0,
        dropMode: 'reset',
      });
      const slow: number[] = [];
      for (let i = 0; i < 6; i++) slow.push(await timedGet());
      for (const ms of slow) assert.ok(ms >= 298, `a request took ${ms.toFixed(0)} ms, < 300`);
      // Generous upper bound: the machine is shared and busy.
      assert.ok(median(slow) < 300 + base + 700, `median ${median(slow).toFixed(0)} ms`);

      await setHomeserverFaults(info, { latencyMs: 200, jitterMs: 400, seed: 7 });
      const jittered: number[] = [];
      for (let i = 0; i < 12; i++) jittered.push(await timedGet());
      for (const ms of jittered) assert.ok(ms >= 198, `a request took ${ms.toFixed(0)} ms, < 200`);
      assert.ok(Math.max(...jittered) - Math.min(...jittered) > 100, 'jitter varies the delay');
      assert.ok(median(jittered) < 200 + 400 + base + 700);

      await setHomeserverFaults(info, { latencyMs: 0, jitterMs: 0 });
      const fast = median([await timedGet(), await timedGet(), await timedGet()]);
      assert.ok(fast < 250, `latency off again, but a request took ${fast.toFixed(0)} ms`);
    },
  );

  void test(
    'a long-polling /sync is woken late: half the latency is on the response',
    { timeout: 60_000 },
    async () => {
      const { roomId } = await createRoom(info, alice, {});
      const auth = { authorization: `Bearer ${alice.accessToken}` };
      const first = await request(`${info.homeserverUrl}/_matrix/client/v3/sync?timeout=0`, {
        headers: auth,
      });
      const since = first.json['next_batch'] as string;
      await setHomeserverFaults(info, { latencyMs: 1000 });
      try {
        const polling = fetch(
          `${info.homeserverUrl}/_matrix/client/v3/sync?timeout=20000&since=${since}`,
          { headers: auth, signal: AbortSignal.timeout(30_000) },
        ).then(async (res) => {
          const body = (await res.json()) as { rooms?: { join?: Record<string, unknown> } };
          return { at: performance.now(), body };
        });
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the poll has reached Synapse
        // Sent to Synapse directly, so the only delay left is the response's half.
        const sent = await request(
          `${info.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
          { method: 'PUT', headers: auth, json: { msgtype: 'm.text', body: 'wake up' } },
        );
        assert.equal(sent.status, 200, sent.text);
        const sentAt = performance.now();
        const { at, body } = await polling;
        assert.ok(body.rooms?.join?.[roomId], 'the sync carries the new event');
        const late = at - sentAt;
        assert.ok(late >= 495, `the response came ${late.toFixed(0)} ms after the event`);
        assert.ok(late < 500 + 1500, `the response came ${late.toFixed(0)} ms after the event`);
      } finally {
        await setHomeserverFaults(info, { latencyMs: 0 });
      }
    },
  );

  void test('drops: connection resets at about the set rate', { timeout: 120_000 }, async () => {
    const before = await homeserverProxyStats(info);
    await setHomeserverFaults(info, { dropPercent: 20, dropMode: 'reset', seed: 42 });
    let failed = 0;
    const n = 300;
    try {
      for (let i = 0; i < n; i += 10) {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () =>
            fetch(`${info.homeserverUrl}/_matrix/client/versions`, {
              signal: AbortSignal.timeout(10_000),
            }).then((r) => r.arrayBuffer()),
          ),
        );
        for (const r of results) {
          if (r.status === 'rejected') {
            failed++;
            // A reset, not a timeout or an HTTP error.
            assert.notEqual((r.reason as Error).name, 'TimeoutError');
          }
        }
      }
    } finally {
      await setHomeserverFaults(info, { dropPercent: 0 });
    }
    const stats = await homeserverProxyStats(info);
    assert.equal(stats.dropped.reset - before.dropped.reset, failed);
    assert.ok(failed >= n * 0.12 && failed <= n * 0.28, `${failed} of ${n} dropped at 20 %`);
    assert.equal(stats.requests - before.requests, n);
  });

  void test('drops: 502 before Synapse, 504 after it acted', { timeout: 60_000 }, async () => {
    const { roomId } = await createRoom(info, alice, {});
    const auth = { authorization: `Bearer ${alice.accessToken}` };
    await setHomeserverFaults(info, { dropPercent: 100, dropMode: 'bad-gateway' });
    try {
      const bad = await request(`${info.homeserverUrl}/_matrix/client/v3/account/whoami`, {
        headers: auth,
      });
      assert.equal(bad.status, 502);
      assert.equal(bad.json['errcode'], 'M_UNKNOWN');
      assert.equal(bad.headers.get('access-control-allow-origin'), '*');

      await setHomeserverFaults(info, { dropMode: 'gateway-timeout' });
      const topic = `topic-${Date.now()}`;
      const timedOut = await request(
        `${info.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`,
        { method: 'PUT', headers: auth, json: { topic } },
      );
      assert.equal(timedOut.status, 504);
      // The client saw a failure, but Synapse has the new state.
      const state = await request(
        `${info.synapseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`,
        { headers: auth },
      );
      assert.equal(state.json['topic'], topic);
    } finally {
      await setHomeserverFaults(info, { dropPercent: 0, dropMode: 'reset' });
    }
    assert.equal((await request(`${info.homeserverUrl}/_matrix/client/versions`)).status, 200);
  });

  void test('blockPath: matching requests fail, the rest pass', { timeout: 30_000 }, async () => {
    const auth = { authorization: `Bearer ${alice.accessToken}` };
    await setHomeserverFaults(info, { blockPath: '/account/whoami', dropMode: 'bad-gateway' });
    try {
      for (let i = 0; i < 3; i++) {
        const blocked = await request(`${info.homeserverUrl}/_matrix/client/v3/account/whoami`, {
          headers: auth,
        });
        assert.equal(blocked.status, 502);
        assert.equal((await request(`${info.homeserverUrl}/_matrix/client/versions`)).status, 200);
      }
      // Matched against the method too: only the PUT of that URL fails.
      await setHomeserverFaults(info, { blockPath: '^PUT /_matrix/client/v3/account/whoami' });
      const get = await request(`${info.homeserverUrl}/_matrix/client/v3/account/whoami`, {
        headers: auth,
      });
      assert.equal(get.status, 200);
      const put = await request(`${info.homeserverUrl}/_matrix/client/v3/account/whoami`, {
        method: 'PUT',
        headers: auth,
      });
      assert.equal(put.status, 502);
    } finally {
      await setHomeserverFaults(info, { blockPath: '', dropMode: 'reset' });
    }
    const open = await request(`${info.homeserverUrl}/_matrix/client/v3/account/whoami`, {
      headers: auth,
    });
    assert.equal(open.status, 200);
  });

  void test('bad settings are refused with the field named', { timeout: 10_000 }, async () => {
    await assert.rejects(setHomeserverFaults(info, { dropPercent: 150 }), /dropPercent/);
    await assert.rejects(
      setHomeserverFaults(info, { dropMode: 'sometimes' as never }),
      /dropMode must be one of reset, bad-gateway, gateway-timeout/,
    );
    await assert.rejects(setHomeserverFaults(info, { latency: 3 } as never), /unknown/);
    await assert.rejects(setHomeserverFaults(info, { blockPath: '(' }), /blockPath/);
    const log = await readFile(info.logs.proxy ?? '', 'utf8');
    assert.match(log, /"msg":"faults"/);
    assert.doesNotMatch(log, new RegExp(alice.accessToken));
  });
});

void describe('pausing and restarting services', () => {
  void test(
    'a paused Synapse stalls requests, which complete on resume',
    { timeout: 60_000 },
    async () => {
      pauseService(info, 'synapse');
      let resumed = false;
      try {
        await assert.rejects(
          fetch(`${info.synapseUrl}/health`, { signal: AbortSignal.timeout(1500) }),
          (err: Error) => err.name === 'TimeoutError',
        );
        // The proxy itself still answers; a client request through it waits.
        assert.equal(
          (await request(`${info.homeserverProxy?.url ?? ''}/_mc_proxy/health`)).status,
          200,
        );
        const t = performance.now();
        const stalled = timedGet();
        await new Promise((resolve) => setTimeout(resolve, 2000));
        resumeService(info, 'synapse');
        resumed = true;
        await stalled;
        assert.ok(performance.now() - t >= 1900, 'the request waited for the resume');
      } finally {
        if (!resumed) resumeService(info, 'synapse');
      }
      assert.ok(await readStackInfo({ dataDir }), 'all healthy after the resume');
    },
  );

  void test(
    'LiveKit killed and started again on the same ports after 2 s',
    { timeout: 120_000 },
    async () => {
      const oldPid = info.pids.livekit;
      const livekitHttp = info.livekitUrl.replace(/^ws/, 'http');
      const t = performance.now();
      const restarting = restartService(info, 'livekit', { downMs: 2000 });
      // While it is down, its port refuses connections.
      await new Promise((resolve) => setTimeout(resolve, 800));
      await assert.rejects(fetch(`${livekitHttp}/`, { signal: AbortSignal.timeout(1000) }));
      const newPid = await restarting;
      assert.ok(performance.now() - t >= 2000);
      assert.notEqual(newPid, oldPid);
      assert.equal(info.pids.livekit, newPid);
      assert.equal((await request(`${livekitHttp}/`)).status, 200);
      const recorded = await readStackInfo({ dataDir });
      assert.equal(recorded?.pids.livekit, newPid, 'state.json has the new pid');
      assert.deepEqual(recorded.ports, info.ports);

      // The auth service can create rooms on the new LiveKit.
      const { roomId } = await createRoom(info, alice, {});
      const res = await request(`${info.authServiceUrl}/get_token`, {
        method: 'POST',
        json: {
          room_id: roomId,
          slot_id: 'm.call#ROOM',
          openid_token: await requestOpenIdToken(info, alice),
          member: { id: 'm', claimed_user_id: alice.userId, claimed_device_id: alice.deviceId },
        },
      });
      assert.equal(res.status, 200, res.text);
      const validate = await request(
        `${livekitHttp}/rtc/validate?access_token=${res.json['jwt'] as string}`,
      );
      assert.equal(validate.status, 200, validate.text);
    },
  );
});
