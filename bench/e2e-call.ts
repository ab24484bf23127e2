/**
 * The call as users see it: two Chromium processes (red and blue fake cameras) on the demo page
 * and the local stack, as in the e2e suite. Per run, in a fresh room: Bob is in the call, Alice
 * waits in the lobby for LOBBY_MS (default 3000, as a person would) and clicks Join; then she
 * leaves. Times come from the pages' own clocks (one machine, one clock), polled every 50 ms:
 *
 *  - join → first decrypted frame: Alice's click to Bob's colour in her tile;
 *  - peer join → their first frame: the same click to Alice's colour in Bob's tile;
 *  - leave → tile gone: Alice's click on Leave to her tile leaving Bob's grid.
 *
 * Printed, not asserted:  npx tsx bench/e2e-call.ts [runs=5]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { E2ERun, Participant } from '../test/e2e/harness.js';

const runs = Number(process.argv[2] ?? 5);
const lobbyMs = Number(process.env['LOBBY_MS'] ?? 3000);

interface Sample {
  joinToFrame: number;
  peerJoinToFrame: number;
  leaveToGone: number;
}

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `${label.padEnd(46)} median ${String(median).padStart(5)} ms   min ${String(sorted[0]).padStart(5)}   max ${String(sorted.at(-1)).padStart(5)}   all ${values.join(', ')}`;
}

async function once(run: E2ERun, alice: Participant, bob: Participant): Promise<Sample> {
  const [ua, ub] = await Promise.all([run.user('Alice'), run.user('Bob')]);
  const room = await run.room(ua, [ub]);
  await Promise.all([alice.open(ua, room), bob.open(ub, room)]);
  await bob.join();
  await sleep(lobbyMs);

  await alice.watch(ub.userId, 'colour', bob.rgb);
  await bob.watch(ua.userId, 'colour', alice.rgb);
  await alice.clickJoin();
  const joinedAt = await alice.lastClick();
  const aliceSees = await alice.seenAt(ub.userId, 'colour', 60_000);
  const bobSees = await bob.seenAt(ua.userId, 'colour', 60_000);

  await sleep(1000);
  await bob.watch(ua.userId, 'gone');
  await alice.leave();
  const leftAt = await alice.lastClick();
  const gone = await bob.seenAt(ua.userId, 'gone', 30_000);

  await Promise.all([alice.closePage(), bob.closePage()]);
  return {
    joinToFrame: aliceSees - joinedAt,
    peerJoinToFrame: bobSees - joinedAt,
    leaveToGone: gone - leftAt,
  };
}

const run = await E2ERun.start();
try {
  const [alice, bob] = await Promise.all([
    Participant.launch(run, 'a', 'red'),
    Participant.launch(run, 'b', 'blue'),
  ]);
  // One unrecorded run first: the browsers' and servers' first call warms caches.
  await once(run, alice, bob);
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const sample = await once(run, alice, bob);
    console.log(`run ${i + 1}: ${JSON.stringify(sample)}`);
    samples.push(sample);
  }
  console.log(`\n${runs} runs, ${lobbyMs} ms in the lobby before Join:`);
  console.log(
    summary(
      'Join click → first decrypted remote frame',
      samples.map((s) => s.joinToFrame),
    ),
  );
  console.log(
    summary(
      "peer's Join click → our first frame of theirs",
      samples.map((s) => s.peerJoinToFrame),
    ),
  );
  console.log(
    summary(
      'Leave click → tile gone on the other side',
      samples.map((s) => s.leaveToGone),
    ),
  );
} finally {
  await run.close();
}
