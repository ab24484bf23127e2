/**
 * Joining over a distant homeserver, <matrix-call> and Element Call side by side in one run on
 * the same stack. Every page reaches Synapse only through the stack's latency proxy; the SFU
 * and auth service stay direct. Rows: homeserver round trips of 0, 150 and 400 ms (plus up to
 * half as much jitter). Per row and app, RUNS (default 5) fresh rooms of two people of that app:
 * one is in the call for CALL_AGE_MS (default 15000; a call under way, older than matrix-js-sdk's
 * 10 s key grace), then the other clicks Join. Medians of:
 *
 *  - join → first frame: the joiner's click to the other's colour in the joiner's tile;
 *  - peer join → our first frame: the same click to the joiner's colour in the other's tile;
 *  - leave → tile gone: the joiner's Leave click to their tile leaving the other's view;
 *  - flaps per 10 min: one call of both pairs held for FLAP_MINUTES (default 10), membership
 *    events per person beyond their join, scaled to 10 minutes. The 400 ms row's call also
 *    loses 5 % of homeserver requests (connection reset for the first half, then answered 504).
 *
 * Times come from the pages' clocks (one machine), polled every 50–100 ms. Printed, not asserted:
 *
 *   npx tsx bench/join-latency.ts            # RUNS=5 CALL_AGE_MS=15000 FLAP_MINUTES=10 ROWS=0,150,400
 *
 * TIMELINE=1 also prints, per <matrix-call> run, where the peer's join → our frame went.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createHomeserverProxy, type HomeserverFaults } from '../stack/homeserver-proxy/proxy.js';
import { E2ERun, Participant, waitFor } from '../test/e2e/harness.js';
import { ElementCallParticipant } from '../test/e2e/element-call-participant.js';
import { membershipEventCounts } from '../test/e2e/room-state.js';
import { serveWidgetHost } from '../test/widget-host/serve.js';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const runs = Number(env('RUNS', '5'));
const callAgeMs = Number(env('CALL_AGE_MS', '15000'));
const flapMinutes = Number(env('FLAP_MINUTES', '10'));
const rows = env('ROWS', '0,150,400').split(',').map(Number);
const timeline = env('TIMELINE', '') === '1';

interface Sample {
  joinToFrame: number;
  peerJoinToFrame: number;
  leaveToGone: number;
}
type App = 'mc' | 'ec';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const [run, server] = await Promise.all([E2ERun.start(), serveWidgetHost()]);
const proxy = await createHomeserverProxy({ target: run.stack.synapseUrl, host: '127.0.0.1' });

/**
 * Where a peer's join → our first frame went (TIMELINE=1): ms after the click at which the
 * joiner's membership was sent and its first key went out, and the other page saw the
 * membership, got the key, subscribed to the video and showed it.
 */
async function peerTimeline(
  joiner: Participant,
  other: Participant,
  clicked: number,
  shown: number,
): Promise<string> {
  type Entry = { time: string; message: string; fields?: Record<string, unknown> };
  const read = async (p: Participant) =>
    (JSON.parse(await p.diagnosticsText()) as { entries: Entry[] }).entries.filter(
      (e) => Date.parse(e.time) >= clicked,
    );
  const [mine, theirs] = await Promise.all([read(joiner), read(other)]);
  const at = (list: Entry[], test: (e: Entry) => boolean) => {
    const e = list.find(test);
    return e ? `${Date.parse(e.time) - clicked}` : '-';
  };
  return [
    `membership sent ${at(mine, (e) => e.message.startsWith('sending membership'))}`,
    `membership back ${at(mine, (e) => e.message === 'membership visible in room state')}`,
    `first key sent ${at(mine, (e) => e.message === 'key message sent (to-device)')}`,
    `key arrived ${at(theirs, (e) => e.message === 'key message arrived (to-device)')}`,
    `membership seen ${at(theirs, (e) => e.message === 'memberships changed' && e.fields?.['count'] === 2)}`,
    `key in use ${at(theirs, (e) => e.message === 'media key received')}`,
    `video subscribed ${at(theirs, (e) => e.message === 'track subscribed' && e.fields?.['source'] === 'camera')}`,
    `shown ${shown - clicked}`,
  ].join(', ');
}

/** Two <matrix-call> pages: `joiner` joins the call `other` is in. */
async function mcOnce(joiner: Participant, other: Participant): Promise<Sample> {
  const [uj, uo] = await Promise.all([run.user('Jo'), run.user('Oli')]);
  const room = await run.room(uo, [uj]);
  const via = (u: typeof uj) => ({ ...u, homeserverUrl: proxy.url });
  await Promise.all([joiner.open(via(uj), room), other.open(via(uo), room)]);
  const inCall = Date.now();
  await other.join();
  await sleep(Math.max(0, inCall + callAgeMs - Date.now()));
  await joiner.watch(uo.userId, 'colour', other.rgb);
  await other.watch(uj.userId, 'colour', joiner.rgb);
  await joiner.clickJoin();
  const clicked = await joiner.lastClick();
  const joinerSees = await joiner.seenAt(uo.userId, 'colour', 90_000);
  const otherSees = await other.seenAt(uj.userId, 'colour', 90_000);
  if (timeline)
    console.log(`  peer side: ${await peerTimeline(joiner, other, clicked, otherSees)}`);
  await sleep(1000);
  await other.watch(uj.userId, 'gone');
  await joiner.leave();
  const left = await joiner.lastClick();
  const gone = await other.seenAt(uj.userId, 'gone', 60_000);
  await Promise.all([joiner.closePage(), other.closePage()]);
  return {
    joinToFrame: joinerSees - clicked,
    peerJoinToFrame: otherSees - clicked,
    leaveToGone: gone - left,
  };
}

/** The same with two Element Call widgets. */
async function ecOnce(joiner: ElementCallParticipant, other: ElementCallParticipant) {
  const [uj, uo] = await Promise.all([run.user('Jo'), run.user('Oli')]);
  const room = await run.room(uo, [uj]);
  const opts = { homeserverUrl: proxy.url };
  await Promise.all([joiner.open(uj, room, opts), other.open(uo, room, opts)]);
  const inCall = Date.now();
  await other.join();
  await sleep(Math.max(0, inCall + callAgeMs - Date.now()));
  await joiner.watchColour(other);
  await other.watchColour(joiner);
  await joiner.clickJoin();
  const clicked = await joiner.lastClick();
  const joinerSees = await joiner.seenColourAt(other, 90_000);
  const otherSees = await other.seenColourAt(joiner, 90_000);
  await sleep(1000);
  const left = await joiner.leave();
  const gone = await waitFor(
    "the joiner's tile to leave Element Call's view",
    async () => ((await other.tilesOf(joiner)).length === 0 ? Date.now() : undefined),
    60_000,
    50,
  );
  await Promise.all([joiner.closePage(), other.closePage()]);
  return {
    joinToFrame: joinerSees - clicked,
    peerJoinToFrame: otherSees - clicked,
    leaveToGone: gone - left,
  };
}

/** Both pairs in one call for FLAP_MINUTES; membership events beyond the join, per app. */
async function flaps(
  mc: [Participant, Participant],
  ec: [ElementCallParticipant, ElementCallParticipant],
  drops: boolean,
): Promise<Record<App, number>> {
  const users = await Promise.all(['M1', 'M2', 'E1', 'E2'].map((n) => run.user(n)));
  const [m1, m2, e1, e2] = users;
  if (!m1 || !m2 || !e1 || !e2) throw new Error('users');
  const room = await run.room(m1, [m2, e1, e2]);
  const via = (u: typeof m1) => ({ ...u, homeserverUrl: proxy.url });
  await Promise.all([
    mc[0].open(via(m1), room),
    mc[1].open(via(m2), room),
    ec[0].open(e1, room, { homeserverUrl: proxy.url }),
    ec[1].open(e2, room, { homeserverUrl: proxy.url }),
  ]);
  for (const p of [...mc, ...ec]) await p.join();
  const minutes = flapMinutes;
  if (drops) proxy.setFaults({ dropPercent: 5, dropMode: 'reset', seed: 12 });
  await sleep((minutes * 60_000) / 2);
  if (drops) proxy.setFaults({ dropMode: 'gateway-timeout' });
  await sleep((minutes * 60_000) / 2);
  proxy.setFaults({ dropPercent: 0, dropMode: 'reset' });
  // Events written in the window settle before they are counted.
  await sleep(5000);
  const counts = await membershipEventCounts(m1, room);
  await Promise.all([...mc, ...ec].map((p) => p.closePage()));
  const extra = (u: typeof m1) => Math.max(0, (counts[u.userId] ?? 0) - 1);
  const per10 = (n: number) => Math.round(((n * 10) / minutes) * 10) / 10;
  return { mc: per10(extra(m1) + extra(m2)), ec: per10(extra(e1) + extra(e2)) };
}

const table: string[] = [];
const ec: ElementCallParticipant[] = [];
try {
  const mc: [Participant, Participant] = [
    await Participant.launch(run, 'bench-mc-1', 'red'),
    await Participant.launch(run, 'bench-mc-2', 'blue'),
  ];
  const [ec1, ec2] = [
    await ElementCallParticipant.launch(run, server, 'bench-ec-1', 'green'),
    await ElementCallParticipant.launch(run, server, 'bench-ec-2', 'yellow'),
  ];
  ec.push(ec1, ec2);
  // One unrecorded call each first: the browsers' and servers' first call warms caches.
  await mcOnce(mc[0], mc[1]);
  await ecOnce(ec1, ec2);
  for (const latencyMs of rows) {
    const faults: Partial<HomeserverFaults> = { latencyMs, jitterMs: latencyMs / 2 };
    proxy.setFaults({ ...faults, dropPercent: 0 });
    const samples: Record<App, Sample[]> = { mc: [], ec: [] };
    for (let i = 0; i < runs; i++) {
      // Alternating apps, and who joins, so load and warm caches fall on both alike.
      const flip = i % 2 === 1;
      samples.mc.push(await mcOnce(flip ? mc[1] : mc[0], flip ? mc[0] : mc[1]));
      samples.ec.push(await ecOnce(flip ? ec2 : ec1, flip ? ec1 : ec2));
      console.log(
        `${latencyMs} ms, run ${i + 1}/${runs}: <matrix-call> ${JSON.stringify(samples.mc.at(-1))}, Element Call ${JSON.stringify(samples.ec.at(-1))}`,
      );
    }
    const drops = latencyMs >= 400;
    const flapped = flapMinutes > 0 ? await flaps(mc, [ec1, ec2], drops) : undefined;
    console.log(`${latencyMs} ms: flaps per 10 min ${JSON.stringify(flapped)}`);
    const cell = (app: App, key: keyof Sample) => median(samples[app].map((s) => s[key]));
    const ratio = (key: keyof Sample) => (cell('mc', key) / cell('ec', key)).toFixed(2);
    const row = (key: keyof Sample) =>
      `${cell('mc', key)} / ${cell('ec', key)} (${ratio(key)})`.padEnd(22);
    table.push(
      `| ${`${latencyMs} ± ${latencyMs / 2} ms`.padEnd(14)} | ${row('joinToFrame')} | ${row('peerJoinToFrame')} | ${row('leaveToGone')} | ${flapped ? `${flapped.mc} / ${flapped.ec}${drops ? ' (5 % dropped)' : ''}` : 'not run'} |`,
    );
  }
} finally {
  console.log(
    `\n${runs} runs per cell, medians in ms, <matrix-call> / Element Call (ratio); call ${callAgeMs} ms old at the Join; flaps over ${flapMinutes} min, per 10 min, both people of an app together\n`,
  );
  console.log(
    '| homeserver RTT | join → first frame     | peer join → our frame  | leave → tile gone      | flaps per 10 min |',
  );
  console.log(
    '| -------------- | ---------------------- | ---------------------- | ---------------------- | ---------------- |',
  );
  for (const line of table) console.log(line);
  await Promise.allSettled(ec.map((p) => p.close()));
  await run.close();
  await proxy.close();
  await server.close();
}
