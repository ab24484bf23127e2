// MemberGrace over made-up memberships; the spoofed leave on the real stack is in
// test/browser/core-trust.test.ts.
import { assert } from '@open-wc/testing';
import { DiagnosticsLog } from './diagnostics.js';
import { MemberGrace, MemberGraceEvent } from './member-grace.js';
import type { MemberInfo } from './membership.js';

const member = (userId: string, createdTs: number): MemberInfo => ({
  identity: `${userId}:D`,
  userId,
  deviceId: 'D',
  memberId: `${userId}:D`,
  serviceUrl: 'https://jwt.example',
  createdTs,
  expired: false,
});

function setup(graceMs = 1000) {
  let now = 0;
  const onSfu = new Set(['@bob:hs:D', '@carol:hs:D']);
  const removedByOther = new Set(['@bob:hs']);
  const grace = new MemberGrace({
    onSfu: (id) => onSfu.has(id),
    removedByOther: (m) => removedByOther.has(m.userId),
    log: new DiagnosticsLog(),
    graceMs,
    now: () => now,
  });
  return { grace, onSfu, tick: (ms: number) => (now += ms) };
}

const ids = (list: readonly MemberInfo[]) => list.map((m) => m.userId);

describe('MemberGrace', () => {
  const bob = member('@bob:hs', 1);
  const carol = member('@carol:hs', 2);

  it('keeps a member someone else removed while their media flows, in order', () => {
    const { grace } = setup();
    grace.update([bob, carol]);
    grace.update([carol]);
    assert.deepEqual(ids(grace.members), ['@bob:hs', '@carol:hs']);
    grace.update([bob, carol]); // their client sent it again
    assert.equal(grace.holding, 0);
    grace.dispose();
  });

  it('lets a member go at once when they left themselves, or are off the SFU', () => {
    const { grace, onSfu } = setup();
    grace.update([bob, carol]);
    grace.update([bob]); // Carol's own leave
    assert.deepEqual(ids(grace.members), ['@bob:hs']);
    grace.update([]);
    assert.deepEqual(ids(grace.members), ['@bob:hs']);
    onSfu.delete('@bob:hs:D');
    assert.deepEqual(ids(grace.members), [], 'gone from the SFU too');
    grace.dispose();
  });

  it('lets them go when the grace runs out, and says so', async () => {
    const { grace, tick } = setup(50);
    grace.update([bob]);
    grace.update([]);
    const changed = new Promise<void>((resolve) =>
      grace.on(MemberGraceEvent.Changed, () => {
        resolve();
      }),
    );
    assert.lengthOf(grace.members, 1); // schedules the expiry
    tick(60);
    await changed;
    assert.lengthOf(grace.members, 0);
    grace.dispose();
  });

  describe('after their own (delayed) leave', () => {
    function withPackets() {
      const packets = new Map([['@carol:hs:D', 100]]);
      const onSfu = new Set(['@carol:hs:D']);
      const grace = new MemberGrace({
        onSfu: (id) => onSfu.has(id),
        removedByOther: () => false,
        packetsFrom: () => Promise.resolve(packets),
        log: new DiagnosticsLog(),
        mediaCheckMs: 20,
      });
      const changed = () =>
        new Promise<void>((resolve) =>
          grace.on(MemberGraceEvent.Changed, () => {
            resolve();
          }),
        );
      return { grace, packets, onSfu, changed };
    }

    it('keeps them while their packets keep arriving, until their membership is back', async () => {
      const { grace, packets } = withPackets();
      const flowing = setInterval(() => {
        packets.set('@carol:hs:D', (packets.get('@carol:hs:D') ?? 0) + 10);
      }, 5);
      grace.update([carol]);
      grace.update([]);
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 25));
        assert.deepEqual(ids(grace.members), ['@carol:hs'], `check ${i}`);
      }
      clearInterval(flowing);
      grace.update([carol]);
      assert.equal(grace.holding, 0);
      grace.dispose();
    });

    it('lets them go at the next check once their packets stop (a crash)', async () => {
      const { grace, changed } = withPackets();
      grace.update([carol]);
      const gone = changed();
      grace.update([]);
      assert.lengthOf(grace.members, 1, 'kept until the media is checked');
      await gone;
      assert.lengthOf(grace.members, 0);
      grace.dispose();
    });

    it('lets them go as soon as they leave the SFU (a clean leave)', () => {
      const { grace, onSfu } = withPackets();
      grace.update([carol]);
      grace.update([]);
      onSfu.clear();
      assert.lengthOf(grace.members, 0);
      grace.dispose();
    });

    it('without a way to count packets, counts the leave at once', () => {
      const { grace } = setup();
      grace.update([carol]);
      grace.update([]);
      assert.lengthOf(grace.members, 0);
      grace.dispose();
    });
  });
});
