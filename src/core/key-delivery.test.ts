// matrix-js-sdk's own key manager for a join: when our first key goes out.
import { assert } from '@open-wc/testing';
import type { CallMembership, MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { RTCEncryptionManager } from 'matrix-js-sdk/lib/matrixrtc/RTCEncryptionManager.js';
import { DiagnosticsLog } from './diagnostics.js';
import { retireKeyManager, sendFirstKeyNow } from './key-delivery.js';

describe('our key manager around a join', () => {
  it('sends our first key to those in the call before our own membership is back', async () => {
    const sent: { index: number; to: string[] }[] = [];
    const bob = { sender: '@bob:hs', userId: '@bob:hs', deviceId: 'BOB', createdTs: () => 1 };
    const keys = new RTCEncryptionManager(
      { userId: '@alice:hs', deviceId: 'ALICE', memberId: '@alice:hs:ALICE' },
      () => [bob] as unknown as CallMembership[],
      {
        on: () => undefined,
        off: () => undefined,
        start: () => undefined,
        stop: () => undefined,
        sendKey: (_key: string, index: number, to: { userId: string }[]) => {
          sent.push({ index, to: to.map((m) => m.userId) });
          return Promise.resolve();
        },
      } as never,
      () => undefined,
    );
    keys.join({ manageMediaKeys: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(sent, [], 'matrix-js-sdk alone waits for a membership change');
    sendFirstKeyNow(
      { encryptionManager: keys } as unknown as MatrixRTCSession,
      new DiagnosticsLog(),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(sent, [{ index: 0, to: ['@bob:hs'] }]);
  });

  it('does nothing (and says so) without the key manager it expects', () => {
    const log = new DiagnosticsLog();
    sendFirstKeyNow({} as unknown as MatrixRTCSession, log);
    assert.match(JSON.stringify(log.list()), /first key goes with our membership/);
  });

  it('a left session’s key manager neither sends keys nor reports one as ours any more', async () => {
    const sent: number[] = [];
    const ours: number[] = [];
    const member = (userId: string, createdTs: number) =>
      ({
        sender: userId,
        userId,
        deviceId: 'D',
        createdTs: () => createdTs,
      }) as unknown as CallMembership;
    let list = [member('@alice:hs', 1), member('@bob:hs', 2), member('@carol:hs', 3)];
    const keys = new RTCEncryptionManager(
      { userId: '@alice:hs', deviceId: 'D', memberId: '@alice:hs:D' },
      () => list,
      {
        on: () => undefined,
        off: () => undefined,
        start: () => undefined,
        stop: () => undefined,
        sendKey: (_key: string, index: number) => {
          sent.push(index);
          return Promise.resolve();
        },
      } as never,
      (_key: Uint8Array, index: number) => ours.push(index),
    );
    keys.join({ manageMediaKeys: true, useKeyDelay: 100 });
    keys.onMembershipsUpdate();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(ours, [0]);
    // Carol leaves: a new key goes out and becomes ours after the 100 ms key delay...
    list = list.slice(0, 2);
    keys.onMembershipsUpdate();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(sent, [0, 1]);
    // ...but we leave (and join again) within it.
    retireKeyManager({ encryptionManager: keys } as unknown as MatrixRTCSession);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(ours, [0], 'the delayed key is not reported as ours');
    list = list.slice(0, 1);
    keys.onMembershipsUpdate();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(sent, [0, 1], 'no key for a call we left');
  });
});
