/**
 * Joining a call that the other app is already in, on the same stack in one run: the time from
 * the Join click to the first decrypted frame of the other person (their camera colour in the
 * joiner's tile), for Element Call 0.26.1 (in the test widget host) joining <matrix-call>, and
 * <matrix-call> joining Element Call. The joiner waits LOBBY_MS (default 3000) in the lobby as a
 * person would. Times come from the joiner's own page clock, polled every 50 ms; alternating
 * directions so load affects both alike. Printed, not asserted:
 *
 *   npx tsx bench/element-call-join.ts [runs=5]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { E2ERun, Participant } from '../test/e2e/harness.js';
import { ElementCallParticipant } from '../test/e2e/element-call-participant.js';
import { serveWidgetHost } from '../test/widget-host/serve.js';

const runs = Number(process.argv[2] ?? 5);
const lobbyMs = Number(process.env['LOBBY_MS'] ?? 3000);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

async function ecJoins(run: E2ERun, ec: ElementCallParticipant, mc: Participant) {
  const [ue, um] = await Promise.all([run.user('Erin'), run.user('Bob')]);
  const room = await run.room(ue, [um]);
  await Promise.all([ec.open(ue, room), mc.open(um, room)]);
  await mc.join();
  await sleep(lobbyMs);
  await ec.watchColour(mc);
  await ec.clickJoin();
  const clicked = await ec.lastClick();
  const seen = await ec.seenColourAt(mc, 60_000);
  await Promise.all([ec.closePage(), mc.closePage()]);
  return seen - clicked;
}

async function mcJoins(run: E2ERun, ec: ElementCallParticipant, mc: Participant) {
  const [ue, um] = await Promise.all([run.user('Erin'), run.user('Bob')]);
  const room = await run.room(ue, [um]);
  await Promise.all([ec.open(ue, room), mc.open(um, room)]);
  await ec.join();
  await sleep(lobbyMs);
  await mc.watch(ue.userId, 'colour', ec.rgb);
  await mc.clickJoin();
  const clicked = await mc.lastClick();
  const seen = await mc.seenAt(ue.userId, 'colour', 60_000);
  await Promise.all([ec.closePage(), mc.closePage()]);
  return seen - clicked;
}

const [run, server] = await Promise.all([E2ERun.start(), serveWidgetHost()]);
const ec = await ElementCallParticipant.launch(run, server, 'bench-ec', 'red');
try {
  const mc = await Participant.launch(run, 'bench-mc', 'blue');
  const ecTimes: number[] = [];
  const mcTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    ecTimes.push(await ecJoins(run, ec, mc));
    mcTimes.push(await mcJoins(run, ec, mc));
    console.log(
      `run ${i + 1}/${runs}: Element Call ${ecTimes.at(-1)} ms, <matrix-call> ${mcTimes.at(-1)} ms`,
    );
  }
  const [ecMedian, mcMedian] = [median(ecTimes), median(mcTimes)];
  const row = (who: string, values: number[]) =>
    `| ${who.padEnd(39)} | ${String(median(values)).padStart(6)} | ${String(Math.min(...values)).padStart(6)} | ${String(Math.max(...values)).padStart(6)} | ${values.join(', ')} |`;
  console.log(
    `\nJoin click → first decrypted remote frame (${runs} runs each, lobby ${lobbyMs} ms)\n`,
  );
  console.log('| joiner                                  | median |    min |    max | all (ms) |');
  console.log('| --------------------------------------- | -----: | -----: | -----: | -------- |');
  console.log(row('Element Call 0.26.1 joins <matrix-call>', ecTimes));
  console.log(row('<matrix-call> joins Element Call 0.26.1', mcTimes));
  console.log(
    `\nratio Element Call / <matrix-call> (medians): ${(ecMedian / mcMedian).toFixed(2)}`,
  );
} finally {
  await ec.close();
  await run.close();
  await server.close();
}
