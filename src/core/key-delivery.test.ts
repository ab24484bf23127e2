// matrix-js-sdk's own key manager for a join: when our first key goes out.
import { assert } from '@open-wc/testing';
import type { CallMembership, MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { RTCEncryptionManager } from 'matrix-js-sdk/lib/matrixrtc/RTCEncryptionManager.js';
import { DiagnosticsLog } from './diagnostics.js';
import { sendFirstKeyNow } from './key-delivery.js';

describe('sendFirstKeyNow', () => {
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
});
