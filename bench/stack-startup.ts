/**
 * Stack start-up time with the install cached: stop, then time startStack() until all
 * three services are healthy. Prints numbers; asserts nothing.
 *
 *   npx tsx bench/stack-startup.ts [runs=3] [--federated]
 *
 * `--federated`: the two-homeserver stack (in its own directory; fresh homeservers each run).
 * A stack that was running before is left running afterwards; otherwise it is stopped.
 */
import { performance } from 'node:perf_hooks';
import {
  FEDERATED_STACK_DIR,
  ensureInstalled,
  readStackInfo,
  startStack,
  stopStack,
} from '../stack/index.js';

const args = process.argv.slice(2);
const federated = args.includes('--federated');
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? '3');
const where = federated ? { dataDir: FEDERATED_STACK_DIR } : {};

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `median ${median.toFixed(2)} s, min ${(sorted[0] ?? NaN).toFixed(2)} s, max ${(sorted.at(-1) ?? NaN).toFixed(2)} s`;
}

async function main(): Promise<void> {
  const wasRunning = (await readStackInfo(where)) !== undefined;
  let t = performance.now();
  await ensureInstalled(() => undefined);
  console.log(`install check (cached): ${((performance.now() - t) / 1000).toFixed(2)} s`);

  const totals: number[] = [];
  const perService: Record<string, number[]> = {};
  const stops: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    await stopStack(where);
    stops.push((performance.now() - t) / 1000);
    t = performance.now();
    await startStack({
      federated,
      log: (line) => {
        const m = /^(synapse|livekit|auth)(?:-b)?: healthy .*, ([\d.]+) s\)$/.exec(line);
        if (m?.[1] && m[2]) (perService[m[1]] ??= []).push(Number(m[2]));
      },
    });
    const total = (performance.now() - t) / 1000;
    totals.push(total);
    console.log(`run ${i + 1}: all healthy after ${total.toFixed(2)} s`);
  }
  t = performance.now();
  await startStack({ federated });
  const idempotent = (performance.now() - t) / 1000;

  console.log(`\nstart-up to all healthy (${runs} runs): ${stats(totals)}  [target < 15 s]`);
  for (const [name, values] of Object.entries(perService))
    console.log(`  ${name.padEnd(8)} ${stats(values)}`);
  console.log(`second start on a running stack (idempotent): ${idempotent.toFixed(2)} s`);
  console.log(`stop: ${stats(stops.slice(1))}`);

  if (!wasRunning) await stopStack(where);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
