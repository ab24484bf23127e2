// Join latency of the core on the local stack: from `join()` to the first
// decrypted remote frame, per phase, and the HTTP round trips on the way.
//   npx tsx bench/core-join.ts [runs=5]
// Needs the stack (npm run stack:up). Printed, not asserted.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readStackInfo } from '../stack/index.js';
import { createRoom, registerUser, type ProvisionedUser } from '../stack/provision.js';
import { launchChromium } from '../test/support/browser.js';
import { servePages } from './page-server.js';

interface Bench {
  start(credentials: object, room: string): Promise<void>;
  join(): Promise<{ t0: number; joined: number; phases: Record<string, number> }>;
  firstFrame(participantId: string): Promise<number>;
  dispose(): Promise<void>;
}

interface Hop {
  label: string;
  start: number;
  end: number;
}

const runs = Number(process.argv[2] ?? 5);
/** Time in the lobby between start() and join(), as a person would spend; 0 joins at once. */
const lobbyMs = Number(process.env['LOBBY_MS'] ?? 3000);
const info = await readStackInfo();
if (!info) {
  console.error('The local stack is not running: npm run stack:up');
  process.exit(1);
}

const server = await servePages();
const origin = server.origin;

const browser: Browser = await launchChromium();

async function openPage(): Promise<{ context: BrowserContext; page: Page }> {
  // Separate contexts: separate profiles and connection pools, like two people's browsers.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/bench/core-join.html`);
  await page.waitForFunction(() => 'bench' in window, null, { timeout: 60_000 });
  return { context, page };
}

const call = <T>(page: Page, method: keyof Bench, ...args: unknown[]) =>
  page.evaluate(
    ([m, a]) => {
      const bench = (
        window as unknown as { bench: Record<string, (...x: unknown[]) => Promise<unknown>> }
      ).bench;
      const fn = bench[m];
      if (!fn) throw new Error(`no bench.${m}`);
      return fn(...a);
    },
    [method, args] as const,
  ) as Promise<T>;

const creds = (u: ProvisionedUser) => ({
  homeserver: u.homeserverUrl,
  userId: u.userId,
  deviceId: u.deviceId,
  accessToken: u.accessToken,
});

/** Longest chain of requests where each starts after the previous one ended: the serial round trips. */
function serialDepth(hops: Hop[]): Hop[] {
  const sorted = [...hops].sort((a, b) => a.start - b.start);
  const best: Hop[][] = [];
  sorted.forEach((hop, i) => {
    let chain: Hop[] = [];
    for (let j = 0; j < i; j++) {
      const before = sorted[j];
      const upTo = best[j];
      if (before && upTo && before.end <= hop.start && upTo.length > chain.length) chain = upTo;
    }
    best[i] = [...chain, hop];
  });
  return best.reduce<Hop[]>((a, b) => (b.length > a.length ? b : a), []);
}

const results: {
  phases: Record<string, number>;
  joinMs: number;
  firstFrameMs: number;
  hops: Hop[];
  serial: Hop[];
}[] = [];
for (let run = 0; run < runs; run++) {
  const alice = await registerUser(info);
  const bob = await registerUser(info);
  const { roomId } = await createRoom(info, alice, {
    encrypted: true,
    invite: [bob],
    autoJoin: true,
  });
  const a = await openPage();
  const b = await openPage();
  try {
    await call(a.page, 'start', creds(alice), roomId);
    await call(a.page, 'join');
    await call(b.page, 'start', creds(bob), roomId);
    await new Promise((r) => setTimeout(r, lobbyMs));

    const hops: Hop[] = [];
    const pending = new Map<object, number>();
    b.page.on('request', (r) => pending.set(r, Date.now()));
    b.page.on('requestfinished', (r) => {
      const start = pending.get(r);
      const url = new URL(r.url());
      if (start !== undefined && !url.pathname.endsWith('/sync')) {
        hops.push({
          label: `${r.method()} ${url.host}${url.pathname.replace(/![^/]+/, '!room').replace(/@[^/]+/, '@user')}`,
          start,
          end: Date.now(),
        });
      }
    });
    b.page.on('websocket', (ws) => {
      const start = Date.now();
      ws.once('framereceived', () =>
        hops.push({ label: `WS ${new URL(ws.url()).host} (LiveKit join)`, start, end: Date.now() }),
      );
    });

    const { t0, joined, phases } = await call<{
      t0: number;
      joined: number;
      phases: Record<string, number>;
    }>(b.page, 'join');
    const first = await call<number>(b.page, 'firstFrame', `${alice.userId}:${alice.deviceId}`);
    const window = hops.filter((h) => h.start >= t0 && h.end <= first);
    results.push({
      phases,
      joinMs: joined - t0,
      firstFrameMs: first - t0,
      hops: window,
      serial: serialDepth(window),
    });
    process.stdout.write(`run ${run + 1}/${runs}: first decrypted frame after ${first - t0} ms\n`);
  } finally {
    await call(a.page, 'dispose').catch(() => undefined);
    await call(b.page, 'dispose').catch(() => undefined);
    await a.context.close();
    await b.context.close();
  }
}

await browser.close();
await server.stop();

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
const phaseNames = Object.keys(results[0]?.phases ?? {});
console.log(
  `\nCore join on the local stack, ${runs} runs, ${lobbyMs} ms in the lobby first, medians (ms):`,
);
for (const name of phaseNames)
  console.log(`  ${name.padEnd(34)} ${median(results.map((r) => r.phases[name] ?? 0))}`);
console.log(`  ${'join() resolved'.padEnd(34)} ${median(results.map((r) => r.joinMs))}`);
console.log(
  `  ${'first decrypted remote frame'.padEnd(34)} ${median(results.map((r) => r.firstFrameMs))}`,
);
console.log(
  `  ${'HTTP/WS requests before media'.padEnd(34)} ${median(results.map((r) => r.hops.length))}`,
);
console.log(
  `  ${'serial round trips before media'.padEnd(34)} ${median(results.map((r) => r.serial.length))}`,
);
const sample = results[Math.floor(results.length / 2)];
if (sample) {
  console.log('\nSerial chain of one run (start → end, ms after join()):');
  const t0 = (sample.hops[0]?.start ?? 0) - 0;
  for (const hop of sample.serial)
    console.log(
      `  ${String(hop.start - t0).padStart(5)} → ${String(hop.end - t0).padStart(5)}  ${hop.label}`,
    );
}
