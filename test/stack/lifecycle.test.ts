/** Stack lifecycle: port conflicts fail fast and clearly; starting twice is idempotent. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolvePorts } from '../../stack/config.js';
import {
  MissingPrerequisiteError,
  PortInUseError,
  ensureInstalled,
  startStack,
} from '../../stack/index.js';
import { acquireStack, freePort } from './helpers.js';

void test(
  'a taken port fails fast, naming the port and its holder; nothing starts',
  { timeout: 30_000 },
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mc-stack-ports-'));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    assert.ok(address && typeof address === 'object');
    const taken = address.port;
    try {
      const t0 = Date.now();
      await assert.rejects(
        startStack({
          dataDir,
          services: ['synapse', 'auth'],
          ports: {
            synapse: await freePort(),
            livekit: await freePort(),
            livekitTcp: await freePort(),
            livekitUdp: await freePort(),
            auth: taken,
          },
        }),
        (err: unknown) => {
          assert.ok(err instanceof PortInUseError, String(err));
          assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${taken} \\(auth service\\)`));
          assert.match(err.message, new RegExp(`pid ${process.pid} `));
          return true;
        },
      );
      assert.ok(Date.now() - t0 < 10_000, 'port check must come before any start-up');
      assert.ok(
        !existsSync(join(dataDir, 'run', 'synapse.pid')),
        'Synapse must not have been started',
      );
      assert.ok(!existsSync(join(dataDir, 'state.json')));
    } finally {
      await new Promise<void>((resolve) =>
        blocker.close(() => {
          resolve();
        }),
      );
      await rm(dataDir, { recursive: true, force: true });
    }
  },
);

void test('ports come from options, then MC_*_PORT, then defaults; bad values are rejected', () => {
  assert.deepEqual(resolvePorts({}, {}), {
    synapse: 8008,
    livekit: 7880,
    livekitTcp: 7881,
    livekitUdp: 7882,
    auth: 6080,
  });
  const env = { MC_SYNAPSE_PORT: '18008', MC_AUTH_PORT: '16080' };
  assert.equal(resolvePorts({}, env).synapse, 18008);
  assert.equal(resolvePorts({ synapse: 28008 }, env).synapse, 28008);
  assert.equal(resolvePorts({}, env).auth, 16080);
  assert.throws(() => resolvePorts({}, { MC_LIVEKIT_PORT: 'abc' }), /MC_LIVEKIT_PORT/);
  assert.throws(() => resolvePorts({ auth: 8008 }, {}), /both 8008/);
});

void test('starting a running stack again returns it unchanged', { timeout: 120_000 }, async () => {
  const stack = await acquireStack();
  try {
    const t0 = Date.now();
    const again = await startStack();
    assert.deepEqual(again.pids, stack.info.pids);
    assert.equal(again.startedAt, stack.info.startedAt);
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    await stack.release();
  }
});

void test(
  'missing Python or Go: the error names what to install',
  { timeout: 30_000 },
  async () => {
    const installDir = await mkdtemp(join(tmpdir(), 'mc-stack-install-'));
    const saved = { PYTHON: process.env['PYTHON'], GO: process.env['GO'] };
    try {
      process.env['PYTHON'] = '/nonexistent/python3';
      process.env['GO'] = '/nonexistent/go';
      await assert.rejects(
        ensureInstalled(() => undefined, { installDir, components: ['synapse'] }),
        (err: unknown) =>
          err instanceof MissingPrerequisiteError &&
          /apt-get install python3 python3-venv/.test(err.message),
      );
      await assert.rejects(
        ensureInstalled(() => undefined, { installDir, components: ['livekit'] }),
        (err: unknown) =>
          err instanceof MissingPrerequisiteError && /Go >= 1\.26/.test(err.message),
      );
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
      }
      await rm(installDir, { recursive: true, force: true });
    }
  },
);
