/**
 * No-transport mode: a separate Synapse (own instance directory and port) that
 * advertises no MatrixRTC transport, so clients hit "no SFU configured".
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readStackInfo, startStack, stopStack, type StackInfo } from '../../stack/index.js';
import { registerUser } from '../../stack/provision.js';
import { freePort, request } from './helpers.js';

let dataDir: string;
let info: StackInfo;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mc-stack-no-transport-'));
  info = await startStack({
    dataDir,
    noTransport: true,
    services: ['synapse'],
    // Distinct ports so this never collides with the main stack.
    ports: {
      synapse: await freePort(),
      livekit: await freePort(),
      livekitTcp: await freePort(),
      livekitUdp: await freePort(),
      auth: await freePort(),
    },
    healthTimeoutMs: 60_000,
  });
});

after(async () => {
  await stopStack({ dataDir });
  await rm(dataDir, { recursive: true, force: true });
});

void test('the instance is separate and recorded', { timeout: 10_000 }, async () => {
  assert.equal(info.noTransport, true);
  assert.deepEqual(info.services, ['synapse']);
  assert.notEqual(info.ports.synapse, 8008);
  assert.equal(info.serverName, `localhost:${info.ports.synapse}`);
  const recorded = await readStackInfo({ dataDir });
  assert.equal(recorded?.pids.synapse, info.pids.synapse);
});

void test(
  '/rtc/transports lists nothing and .well-known has no rtc_foci',
  { timeout: 30_000 },
  async () => {
    const user = await registerUser(info);
    const transports = await request(
      `${info.homeserverUrl}/_matrix/client/unstable/org.matrix.msc4143/rtc/transports`,
      { headers: { authorization: `Bearer ${user.accessToken}` } },
    );
    // Synapse with msc4143 on but no transports configured answers 200 {}.
    assert.equal(transports.status, 200, transports.text);
    const list = transports.json['rtc_transports'];
    assert.ok(list === undefined || (Array.isArray(list) && list.length === 0), transports.text);

    const wellKnown = await request(`http://${info.serverName}/.well-known/matrix/client`);
    assert.equal(wellKnown.status, 200);
    assert.deepEqual(wellKnown.json['m.homeserver'], { base_url: `${info.homeserverUrl}/` });
    assert.equal(wellKnown.json['org.matrix.msc4143.rtc_foci'], undefined, wellKnown.text);
  },
);
