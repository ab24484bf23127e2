/**
 * How long a participant whose frames could not be decrypted stays dark once their key arrives.
 * Per run, two <matrix-call> pages in a fresh room: Oli is in the call, then Jo joins while Jo's
 * /sync is blocked by the stack's homeserver proxy. Jo's SFU connection receives Oli's media
 * with no key for it ("no key for incoming media"); after HOLD_MS more the block is lifted, Oli's
 * key arrives over to-device, and we time, on Jo's page clock:
 *
 *  - key → frame: the first "media key received" for Oli in Jo's diagnostics to Oli's colour
 *    in Jo's tile (the tile's centre pixel, polled every 50 ms in the page).
 *
 * MODE=rotate instead times a participant who was decoding fine until a key rotation reached
 * us late: Jo and Oli decode each other, Max joins and leaves (Oli rotates its key on the leave)
 * while Jo's /sync is blocked, so Jo cannot decrypt Oli's frames under the new key; HOLD_MS after
 * that the block is lifted, and we time the key's arrival to Oli's next decoded frame (Jo's
 * framesDecoded for Oli, polled every 50 ms from here; one machine, one clock).
 *
 * Printed, not asserted:
 *
 *   npx tsx bench/key-to-frame.ts            # RUNS=7 HOLD_MS=3000 MODE=join|rotate
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createHomeserverProxy } from '../stack/homeserver-proxy/proxy.js';
import { E2ERun, Participant, waitFor } from '../test/e2e/harness.js';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const runs = Number(env('RUNS', '7'));
const holdMs = Number(env('HOLD_MS', '3000'));
const mode = env('MODE', 'join');
const SYNC = '^GET /_matrix/client/v3/sync';

interface Entry {
  time: string;
  category: string;
  message: string;
  fields?: Record<string, unknown>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const run = await E2ERun.start();
const proxy = await createHomeserverProxy({ target: run.stack.synapseUrl, host: '127.0.0.1' });

async function entries(p: Participant): Promise<Entry[]> {
  return (JSON.parse(await p.diagnosticsText()) as { entries: Entry[] }).entries;
}

/** Key → first frame in ms for one run, or a reason the run did not show the situation. */
async function once(joiner: Participant, other: Participant): Promise<number | string> {
  proxy.setFaults({ blockPath: '' });
  const [uj, uo] = await Promise.all([run.user('Jo'), run.user('Oli')]);
  const room = await run.room(uo, [uj]);
  await Promise.all([joiner.open({ ...uj, homeserverUrl: proxy.url }, room), other.open(uo, room)]);
  await other.join();
  await sleep(2000);
  await joiner.watch(uo.userId, 'colour', other.rgb);
  // Jo's sync long-poll in flight returns with Jo's own membership; the next ones are refused.
  proxy.setFaults({ blockPath: SYNC, dropMode: 'reset' });
  await joiner.clickJoin();
  const failing = await waitFor(
    'Jo to fail decrypting Oli',
    async () => {
      const log = await entries(joiner);
      if (log.some((e) => e.message === 'media key received')) return 'key came first';
      return log.find((e) => e.message === 'no key for incoming media')?.time;
    },
    60_000,
    100,
  ).finally(() => sleep(holdMs));
  proxy.setFaults({ blockPath: '' });
  if (failing === 'key came first') return failing;
  const seen = await joiner.seenAt(uo.userId, 'colour', 60_000);
  const log = await entries(joiner);
  const key = log.find((e) => e.message === 'media key received');
  const nudge = log.find((e) => e.message.startsWith('asking for a keyframe'));
  await Promise.all([joiner.closePage(), other.closePage()]);
  if (!key) return 'no key logged';
  const ms = seen - Date.parse(key.time);
  const nudgeAt = nudge ? `+${Date.parse(nudge.time) - Date.parse(key.time)} ms` : 'none';
  console.log(
    `  failing since ${failing}, key ${key.time} (index ${String(key.fields?.keyIndex)}), frame +${ms} ms, keyframe asked ${nudgeAt}`,
  );
  return ms;
}

const failures = (log: Entry[]) =>
  log.filter((e) => /^(no key for|cannot decrypt) incoming media$/.test(e.message));

/** Key → next decoded frame in ms after a late rotation, or why the run did not show it. */
async function rotateOnce(
  joiner: Participant,
  other: Participant,
  leaver: Participant,
): Promise<number | string> {
  proxy.setFaults({ blockPath: '' });
  const [uj, uo, ul] = await Promise.all([run.user('Jo'), run.user('Oli'), run.user('Max')]);
  const room = await run.room(uo, [uj, ul]);
  await Promise.all([
    joiner.open({ ...uj, homeserverUrl: proxy.url }, room),
    other.open(uo, room),
    leaver.open(ul, room),
  ]);
  await other.join();
  await joiner.watch(uo.userId, 'colour', other.rgb);
  await joiner.join();
  await joiner.seenAt(uo.userId, 'colour', 60_000);
  await leaver.join();
  await joiner.seesVideoOf(leaver, 60_000);
  await sleep(5000); // keys of Max's join settled
  const before = failures(await entries(joiner)).length;
  proxy.setFaults({ blockPath: SYNC, dropMode: 'reset' });
  // The sync in flight may still bring one event; Max's leave comes after it.
  await sleep(1000);
  await leaver.leave();
  const failing = await waitFor(
    'Jo to fail decrypting Oli after the rotation',
    async () => failures(await entries(joiner))[before]?.time,
    60_000,
    100,
  ).finally(() => sleep(holdMs));
  const keysBefore = (await entries(joiner)).filter((e) => e.message === 'media key received');
  const framesBefore = await joiner.framesFrom(uo.userId);
  proxy.setFaults({ blockPath: '' });
  const decoded = await waitFor(
    'Jo to decode Oli again',
    async () => ((await joiner.framesFrom(uo.userId)) > framesBefore ? Date.now() : undefined),
    60_000,
    50,
  );
  const log = await entries(joiner);
  const key = log.filter((e) => e.message === 'media key received')[keysBefore.length];
  await Promise.all([joiner.closePage(), other.closePage(), leaver.closePage()]);
  if (!key) return 'no new key logged';
  const ms = decoded - Date.parse(key.time);
  const since = (e: Entry) => Date.parse(e.time) - Date.parse(key.time);
  const after = log.filter(
    (e) => since(e) >= -50 && (e.category === 'e2ee' || e.category === 'keys'),
  );
  console.log(
    `  failing since ${failing}, key ${key.time} (index ${String(key.fields?.keyIndex)}), frame +${ms} ms; then: ${after
      .slice(0, 8)
      .map((e) => `+${since(e)} ${e.message.split('\n')[0] ?? ''}`)
      .join('; ')}`,
  );
  return ms;
}

const samples: number[] = [];
try {
  const jo = await Participant.launch(run, 'bench-kf-1', 'red');
  const oli = await Participant.launch(run, 'bench-kf-2', 'blue');
  const max = mode === 'rotate' ? await Participant.launch(run, 'bench-kf-3', 'green') : undefined;
  const measure = (a: Participant, b: Participant) => (max ? rotateOnce(a, b, max) : once(a, b));
  // One unrecorded call first: the browsers' and servers' first call warms caches.
  await measure(jo, oli);
  for (let i = 0; i < runs; i++) {
    const flip = i % 2 === 1;
    const result = await measure(flip ? oli : jo, flip ? jo : oli);
    console.log(`run ${i + 1}/${runs}: ${typeof result === 'number' ? `${result} ms` : result}`);
    if (typeof result === 'number') samples.push(result);
  }
} finally {
  console.log(
    `\n${mode}: key → first frame of a participant whose frames were failing: median ${median(samples)} ms of ${samples.length} runs [${samples.join(', ')}]`,
  );
  await run.close();
  await proxy.close();
}
