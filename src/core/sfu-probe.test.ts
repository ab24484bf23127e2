// The token-less liveness check and the policy of LiveKit's own resumes; probeSfu against a
// real SFU runs in test/e2e/federation.test.ts (restricted rooms, a killed SFU).
import { assert } from '@open-wc/testing';
import { livekitAnswers, ProbingReconnectPolicy } from './sfu-probe.js';

describe('livekitAnswers', () => {
  it('is true for a server that answers (whatever it answers) and false for none', async () => {
    assert.isTrue(await livekitAnswers(location.origin.replace(/^http/, 'ws')));
    assert.isFalse(await livekitAnswers('ws://127.0.0.1:9'));
  });
});

describe('ProbingReconnectPolicy', () => {
  it('probes before the first resume, leaves it time to answer, and gives up after three', () => {
    let probes = 0;
    const policy = new ProbingReconnectPolicy(() => (probes += 1));
    const delays = [0, 1, 2, 3].map((retryCount) =>
      policy.nextRetryDelayInMs({ retryCount, elapsedMs: 0 }),
    );
    assert.equal(probes, 1);
    assert.deepEqual(delays, [600, 1200, 2700, null]);
  });
});
