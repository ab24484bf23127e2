// Raised hands and reactions between two core sessions on the local stack, in Element Call's
// formats (test/widget-host/FINDINGS.md (a)); the interop with Element Call itself is in
// test/e2e/element-call.test.ts.
import { assert } from '@open-wc/testing';
import { createRoom, registerUser, waitFor, type TestUser } from './local-stack.js';
import { assertDecodes, identityOf, remote, sessionPool } from './core-helpers.js';
import type { CallSession } from '../../src/core/call-session.js';

interface RawEvent {
  type: string;
  event_id: string;
  sender: string;
  content: Record<string, unknown>;
  redacts?: string;
}

/** The room's latest events as the homeserver has them (what another client receives). */
async function latestEvents(reader: TestUser, roomId: string): Promise<RawEvent[]> {
  const response = await fetch(
    `${reader.homeserverUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
    { headers: { Authorization: `Bearer ${reader.accessToken}` } },
  );
  return ((await response.json()) as { chunk: RawEvent[] }).chunk;
}

const local = (s: CallSession) => s.snapshot.participants.find((p) => p.isLocal);

describe('Reactions and raised hands on the local stack', function () {
  this.timeout(120_000);
  const pool = sessionPool();
  afterEach(() => pool.disposeAll());

  it('a hand raised before the other joined, a reaction and a hand both ways, lowering and leaving clear them', async () => {
    const [alice, bob] = await Promise.all([
      registerUser({ displayName: 'Alice' }),
      registerUser({ displayName: 'Bob' }),
    ]);
    const { roomId } = await createRoom(alice, { encrypted: true, invite: [bob], autoJoin: true });
    const a = pool.open(alice, roomId);
    await a.start();
    await a.join();
    await a.setHandRaised(true);
    assert.isNumber(local(a)?.handRaisedAt, 'our own tile shows our hand at once');

    // On the wire: an unencrypted annotation of Alice's membership, key 🖐️ (U+1F590 U+FE0F).
    const membershipId = (await latestEvents(alice, roomId)).find(
      (e) => e.type === 'org.matrix.msc3401.call.member' && e.sender === alice.userId,
    )?.event_id;
    assert.ok(membershipId, "Alice's membership event");
    const raise = (await latestEvents(alice, roomId)).find((e) => e.type === 'm.reaction');
    assert.deepEqual(raise?.content, {
      'm.relates_to': { rel_type: 'm.annotation', event_id: membershipId, key: '\u{1F590}\uFE0F' },
    });

    // Bob starts after Alice raised her hand: he learns it from the room, before and after joining.
    const b = pool.open(bob, roomId);
    await b.start();
    await b.join();
    await waitFor('Bob to see Alice', () => remote(b, alice.userId));
    await waitFor("Bob to see Alice's raised hand", () => !!remote(b, alice.userId)?.handRaisedAt);
    await assertDecodes(b, identityOf(alice));

    // Bob reacts: encrypted on the wire, Alice decrypts and shows it for about 3 s.
    await b.sendReaction('party');
    assert.deepEqual(local(b)?.reaction, { emoji: '🎉', name: 'party' });
    await waitFor(
      'Alice to see the reaction',
      () => remote(a, bob.userId)?.reaction?.name === 'party',
    );
    const shown = Date.now();
    assert.deepEqual(remote(a, bob.userId)?.reaction, { emoji: '🎉', name: 'party' });
    // A second one while the first shows is not sent (Element Call would drop it).
    await b.sendReaction('thumbsup');
    await waitFor('the reaction to end', () => !remote(a, bob.userId)?.reaction, 10_000);
    assert.isAtLeast(Date.now() - shown, 2000);
    const events = await latestEvents(bob, roomId);
    assert.isFalse(
      events.some((e) => e.type === 'io.element.call.reaction'),
      'the reaction travels encrypted',
    );
    assert.isTrue(events.some((e) => e.type === 'm.room.encrypted' && e.sender === bob.userId));

    // Bob raises and lowers his hand; Alice sees both.
    await b.setHandRaised(true);
    await waitFor("Alice to see Bob's hand", () => !!remote(a, bob.userId)?.handRaisedAt);
    await b.setHandRaised(false);
    assert.isUndefined(local(b)?.handRaisedAt);
    await waitFor("Alice to see Bob's hand go down", () => !remote(a, bob.userId)?.handRaisedAt);
    const lowered = (await latestEvents(bob, roomId)).find(
      (e) => e.type === 'm.room.redaction' && e.sender === bob.userId,
    );
    assert.ok(lowered, 'lowering is a redaction of the annotation');

    // Alice lowers hers too; then raises it and leaves: Bob drops it with her membership.
    await a.setHandRaised(false);
    await waitFor("Bob to see Alice's hand go down", () => !remote(b, alice.userId)?.handRaisedAt);
    await a.setHandRaised(true);
    await waitFor("Bob to see Alice's hand again", () => !!remote(b, alice.userId)?.handRaisedAt);
    await a.leave();
    await waitFor('Alice gone on Bob’s side', () => !remote(b, alice.userId));
    await a.join();
    await waitFor('Alice back on Bob’s side', () => remote(b, alice.userId));
    assert.isUndefined(remote(b, alice.userId)?.handRaisedAt, 'a new membership, no hand');
    assert.isUndefined(local(a)?.handRaisedAt);
  });
});
