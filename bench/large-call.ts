/**
 * A large call, measured at the receiver: N simulated members (N = 9, 25, 50 by default) in one
 * encrypted room, each with a real Matrix user and membership and an E2EE media key over Olm
 * (bench/large-call-member.ts), publishing a small canvas camera and a tone to LiveKit
 * (bench/large-call-swarm.ts). One real Chromium runs <matrix-call> from the CDN build and
 * joins the call once per N (the call grows between rows). The newest member is the one who
 * speaks. Per N it prints, over a WINDOW_S (default 20) second window after SETTLE_S (8):
 *
 *  - receiver CPU: CPU time of every process of the receiver's Chromium, per second of call;
 *  - inbound: the bytes of every subscribed track (video and audio), in kbit/s;
 *  - video tracks subscribed, and the height they decode at (median);
 *  - decoded frames per second, over all video tracks;
 *  - JS heap of the page (CDP `Runtime.getHeapUsage`);
 *  - Join click → first decrypted remote frame, and → every tile on screen decoding, and
 *    → the members' keys sent to the receiver (median; they send on seeing its membership);
 *  - tiles on screen in their member's colour.
 *
 * Screenshots (desktop 1280×800 and phone 390×844) and the receiver's diagnostics go to
 * .artifacts/large-call/.
 *
 *   npx tsx bench/large-call.ts           # NS=9,25,50 WINDOW_S=20 SETTLE_S=8
 */
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { format } from 'node:util';
import { E2ERun, Participant, browserPid, type MediaStat } from '../test/e2e/harness.js';
import type { ProvisionedUser } from '../stack/provision.js';
import { SimulatedMember } from './large-call-member.js';
import { Swarm } from './large-call-swarm.js';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const ns = env('NS', '9,25,50').split(',').map(Number);
const windowS = Number(env('WINDOW_S', '20'));
const settleS = Number(env('SETTLE_S', '8'));
const OUT = resolve('.artifacts/large-call');
mkdirSync(OUT, { recursive: true });

// matrix-js-sdk and its Rust crypto log a lot in Node: keep it in a file, print only the table.
const LOG = `${OUT}/node.log`;
writeFileSync(LOG, '');
const print = (line: string) => process.stdout.write(`${line}\n`);
for (const level of ['log', 'info', 'debug', 'warn', 'error', 'trace'] as const) {
  console[level] = (...args: unknown[]) => {
    appendFileSync(LOG, `[${level}] ${format(...args)}\n`);
  };
}

/** Distinct colours around the hue circle, away from the receiver's red. */
function colourOf(i: number, n: number): readonly number[] {
  const h = 30 + (300 * i) / n;
  const f = (k: number) => {
    const a = 0.8 * Math.min(0.5, 1 - 0.5);
    const x = (k + h / 30) % 12;
    return Math.round(255 * (0.5 - a * Math.max(-1, Math.min(x - 3, 9 - x, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** utime + stime (clock ticks) of `root` and all its descendants. */
function cpuTicks(root: number): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        total += t;
        break;
      }
    }
  }
  return total;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

interface Row {
  n: number;
  cpuMsPerS: number;
  kbps: number;
  videoTracks: number;
  decodeHeight: number;
  fps: number;
  heapMb: number;
  firstFrameMs: number;
  allOnScreenMs: number;
  keysSentMs: number;
  onScreen: number;
  inColour: number;
}

const run = await E2ERun.start();
const members: SimulatedMember[] = [];
let swarm: Swarm | undefined;
const rows: Row[] = [];
try {
  const maxN = Math.max(...ns);
  const receiverUser = await run.user('Receiver');
  const users: ProvisionedUser[] = [];
  for (let i = 0; i < maxN; i += 10)
    users.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, maxN - i) }, (_, k) => run.user(`Member ${i + k + 1}`)),
      )),
    );
  const roomId = await run.room(receiverUser, users);
  const receiver = await Participant.launch(run, 'receiver', 'red');
  swarm = await Swarm.launch(run.server.url);
  const colours = new Map<string, readonly number[]>();

  for (const n of ns) {
    // Grow the call to n, five members at a time.
    while (members.length < n) {
      const batch = users.slice(members.length, Math.min(n, members.length + 5));
      const started = await Promise.all(
        batch.map(async (user, k) => {
          const m = await SimulatedMember.start(
            user,
            roomId,
            run.stack.authServiceUrl,
            (userId) => userId === receiverUser.userId,
          );
          await m.join();
          console.info(`bench: ${m.identity} joined`);
          const rgb = colourOf(members.length + k, maxN);
          colours.set(user.userId, rgb);
          const grant = await m.grant();
          console.info(`bench: ${m.identity} granted`);
          await swarm?.add(m.identity, grant, m.keyBase64, rgb);
          console.info(`bench: ${m.identity} publishing`);
          return m;
        }),
      );
      members.push(...started);
    }
    const speaker = members[n - 1];
    if (speaker) await swarm.setLoud(speaker.identity);
    print(`# ${String(n)} members publishing; the receiver joins`);

    await receiver.open(receiverUser, roomId, { viewport: { width: 1280, height: 800 } });
    const page = receiver.p;
    const cdp = await page.context().newCDPSession(page);
    const clicked = await receiver.clickJoin();
    await receiver.waitForView('in-call', 60_000);
    let firstFrameMs = NaN;
    let allOnScreenMs = NaN;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const [stats, tiles] = await Promise.all([receiver.stats(), receiver.tiles()]);
      const decoding = new Set(
        stats
          .filter((s) => s.kind === 'video' && s.framesDecoded > 0)
          .map((s) => s.participantId.slice(0, s.participantId.lastIndexOf(':'))),
      );
      const onScreen = tiles.filter((t) => !t.isLocal && t.inViewport);
      if (decoding.size > 0 && Number.isNaN(firstFrameMs)) firstFrameMs = Date.now() - clicked;
      if (onScreen.length > 0 && onScreen.every((t) => decoding.has(t.userId))) {
        allOnScreenMs = Date.now() - clicked;
        break;
      }
      await sleep(100);
    }

    // When the members' keys left for the receiver (they send on seeing its membership).
    const keysSent = members.flatMap((m) =>
      [...m.keySentAt]
        .filter(([to, at]) => to.startsWith(`${receiverUser.userId}|`) && at >= clicked)
        .map(([, at]) => at - clicked),
    );
    await sleep(settleS * 1000);
    const pid = browserPid(`--use-file-for-fake-video-capture=${receiver.y4m}`) ?? 0;
    const sum = (stats: MediaStat[], pick: (s: MediaStat) => number) =>
      stats.reduce((a, s) => a + pick(s), 0);
    const ticks0 = cpuTicks(pid);
    const stats0 = await receiver.stats();
    const t0 = Date.now();
    await sleep(windowS * 1000);
    const ticks1 = cpuTicks(pid);
    const stats1 = await receiver.stats();
    const seconds = (Date.now() - t0) / 1000;
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    const video1 = stats1.filter((s) => s.kind === 'video');
    const video0 = stats0.filter((s) => s.kind === 'video');
    const tiles = (await receiver.tiles()).filter((t) => !t.isLocal && t.inViewport);
    let inColour = 0;
    for (const t of tiles) {
      const px = await receiver.pixel(t.userId);
      const want = colours.get(t.userId);
      if (px && want && px.every((v, i) => Math.abs(v - (want[i] ?? 0)) <= 30)) inColour++;
    }
    rows.push({
      n,
      cpuMsPerS: ((ticks1 - ticks0) * 10) / seconds,
      kbps:
        ((sum(stats1, (s) => s.bytesReceived) - sum(stats0, (s) => s.bytesReceived)) * 8) /
        seconds /
        1000,
      videoTracks: video1.length,
      decodeHeight: median(video1.filter((s) => s.frameHeight > 0).map((s) => s.frameHeight)),
      fps: (sum(video1, (s) => s.framesDecoded) - sum(video0, (s) => s.framesDecoded)) / seconds,
      heapMb: heap.usedSize / 1e6,
      firstFrameMs,
      allOnScreenMs,
      keysSentMs: median(keysSent),
      onScreen: tiles.length,
      inColour,
    });
    print(JSON.stringify(rows.at(-1)));

    writeFileSync(`${OUT}/receiver-${String(n)}.log`, await receiver.diagnosticsText());
    await page.screenshot({ path: `${OUT}/grid-${String(n)}-desktop.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(3000);
    await page.screenshot({ path: `${OUT}/grid-${String(n)}-phone.png` });
    await receiver.leave();
    await receiver.waitForView('ended', 30_000).catch(() => undefined);
  }
} finally {
  await Promise.allSettled(members.map((m) => m.leave()));
  await swarm?.close();
  await run.close();
}

const base = rows[0];
print('');
print(
  '| N | receiver CPU (ms/s) | inbound (kbit/s) | video tracks subscribed | decoded height (median) | decoded fps | JS heap (MB) | join → first frame (ms) | join → all on screen (ms) | join → keys sent by members (median ms) | on screen in colour |',
);
print('| -- | -- | -- | -- | -- | -- | -- | -- | -- | -- | -- |');
for (const r of rows) {
  const ratio = base ? ` (${(r.cpuMsPerS / base.cpuMsPerS).toFixed(2)}×)` : '';
  print(
    `| ${String(r.n)} | ${r.cpuMsPerS.toFixed(0)}${ratio} | ${r.kbps.toFixed(0)} | ${String(r.videoTracks)} | ${String(r.decodeHeight)} | ${r.fps.toFixed(1)} | ${r.heapMb.toFixed(1)} | ${String(r.firstFrameMs)} | ${String(r.allOnScreenMs)} | ${String(r.keysSentMs)} | ${String(r.inColour)}/${String(r.onScreen)} |`,
  );
}
print(`\nScreenshots: ${OUT}/grid-<N>-{desktop,phone}.png; Node-side logs: ${LOG}`);
process.exit(0);
