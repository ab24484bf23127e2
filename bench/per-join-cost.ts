// CPU cost, on a client already in a call of N, of ONE more member joining, per stage the
// core goes through, at N = 9, 25 and 50. No server: the page feeds matrix-js-sdk the state
// events and to-device keys /sync would (see bench/per-join-cost-page.ts).
//   npx tsx bench/per-join-cost.ts [rounds=30]
// Printed, not asserted.
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser.js';
import { servePages } from './page-server.js';

const rounds = Number(process.argv[2] ?? 30);
const SIZES = [9, 25, 50];

type JoinCost = Record<string, number>;

const server = await servePages({ isolated: true });
const origin = server.origin;
const browser = await launchChromium();

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => {
    console.error('page error:', e.message);
  });
  await page.goto(`${origin}/bench/per-join-cost.html`);
  await page.waitForFunction(() => 'bench' in window, null, { timeout: 120_000 });
  return page;
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

const rows = new Map<string, Map<number, number[]>>();
const add = (stage: string, n: number, values: number[]) => {
  const byN = rows.get(stage) ?? new Map<number, number[]>();
  byN.set(n, values);
  rows.set(stage, byN);
};

for (const n of SIZES) {
  console.error(`N=${String(n)}…`);
  // A fresh page per N: nothing from a smaller call warms the larger one.
  const page = await openPage();
  const core = await page.evaluate(
    ([size, r]) =>
      (
        window as unknown as { bench: { core(n: number, r: number): Promise<JoinCost[]> } }
      ).bench.core(size, r),
    [n, rounds] as const,
  );
  const col = (k: string) => core.map((c) => c[k] ?? NaN);
  add('room state: matrix-js-sdk (ms)', n, col('sdkState'));
  add('room state: our listeners (ms)', n, col('ourState'));
  add('memberships: matrix-js-sdk parse (ms)', n, col('sdkMemberships'));
  add('memberships: our member list (ms)', n, col('ourMembers'));
  add('keys out: to-device messages', n, col('keySends'));
  add('keys out: devices encrypted for', n, col('keyDevices'));
  add('keys in: N rotated keys, sdk + ours (ms)', n, col('keysIn'));
  add('snapshots built per join', n, col('snapshots'));
  add('snapshots: build time per join (ms)', n, col('snapshotMs'));
  add(
    'snapshot: one build (ms)',
    n,
    core.map((c) => (c['snapshotMs'] ?? 0) / (c['snapshots'] || 1)),
  );
  const rendered = await page.evaluate(
    ([size, r]) =>
      (
        window as unknown as {
          bench: { render(n: number, r: number): Promise<{ join: number[]; update: number[] }> };
        }
      ).bench.render(size, r),
    [n, rounds] as const,
  );
  add('render: snapshot with the joiner (ms)', n, rendered.join);
  add('render: one more snapshot, same people (ms)', n, rendered.update);
  const snaps = median(col('snapshots'));
  add(
    'render: all snapshots of a join (ms, est.)',
    n,
    rendered.join.map((j, i) => j + Math.max(0, snaps - 1) * (rendered.update[i] ?? 0)),
  );
  await page.close();
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x < 10 ? x.toFixed(3) : x.toFixed(1));
const header = ['stage', ...SIZES.flatMap((n) => [`N=${n} p50`, `p95`]), 'ratio 50/9'];
const table = [...rows].map(([stage, byN]) => {
  const cells = SIZES.flatMap((n) => {
    const v = byN.get(n) ?? [];
    return [fmt(median(v)), fmt(quantile(v, 0.95))];
  });
  const ratio = median(byN.get(50) ?? []) / median(byN.get(9) ?? []);
  return [stage, ...cells, Number.isFinite(ratio) ? ratio.toFixed(1) : '-'];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] ?? '').length)));
const line = (r: string[]) =>
  `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
console.log(
  `per-join cost, ${String(rounds)} joins per N (median, p95), ${new Date().toISOString().slice(0, 10)}`,
);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of table) console.log(line(r));

await browser.close();
await server.stop();
