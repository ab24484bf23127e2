// Network trouble on the real stack, simulated with livekit-client's own test hooks.
import { assert } from '@open-wc/testing';
import type { Room as LivekitRoom } from 'livekit-client';
import type { CallSession } from '../../src/core/call-session.js';
import type { CallPhase } from '../../src/core/types.js';
import { CallSessionEvent } from '../../src/core/types.js';
import { waitFor } from './local-stack.js';
import {
  assertDecodes,
  callOfTwo,
  identityOf,
  memberState,
  remote,
  sessionPool,
} from './core-helpers.js';

/** The session's own LiveKit room (private; only tests reach in). */
const livekitRoomOf = (s: CallSession) =>
  (s as unknown as { parts?: { connections: { own?: { room: LivekitRoom } } } }).parts?.connections
    .own?.room;

describe('CallSession under network trouble', function () {
  this.timeout(120_000);
  const pool = sessionPool();
  afterEach(() => pool.disposeAll());

  it('rides out a signalling reconnect: reconnecting, then connected, media continues', async () => {
    const { alice, a, b } = await callOfTwo(pool);
    await assertDecodes(b, identityOf(alice));
    const phases: CallPhase[] = [];
    a.on(CallSessionEvent.PhaseChanged, (phase) => phases.push(phase));
    await livekitRoomOf(a)?.simulateScenario('signal-reconnect');
    await waitFor('back to connected', () => phases.includes('connected'), 20_000);
    assert.include(phases, 'reconnecting');
    assert.equal(a.snapshot.phase, 'connected');
    await assertDecodes(b, identityOf(alice));
  });

  it('when the SFU drops us for good, fails with connection-lost and removes the membership', async () => {
    const { alice, bob, roomId, a, b } = await callOfTwo(pool);
    await waitFor('Bob sees Alice', () => remote(b, alice.userId));
    const failed = new Promise((resolve) => a.on(CallSessionEvent.Error, resolve));
    await livekitRoomOf(a)?.simulateScenario('server-leave');
    const error = (await failed) as { reason: string };
    assert.equal(error.reason, 'connection-lost');
    assert.equal(a.snapshot.phase, 'failed');
    await waitFor(
      'no ghost membership',
      async () => Object.keys((await memberState(bob, roomId, alice)).content).length === 0,
      10_000,
    );
    await waitFor('Bob no longer shows Alice', () => !remote(b, alice.userId), 10_000);
    // A retry rejoins cleanly.
    await a.join();
    await waitFor('Bob sees Alice again', () => remote(b, alice.userId), 10_000);
    await assertDecodes(b, identityOf(alice));
  });
});
