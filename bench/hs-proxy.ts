/**
 * Overhead of the homeserver proxy with no faults set: the same requests straight to Synapse
 * and through the proxy (the code the stack runs, here in-process), sequentially, after a
 * warm-up. Prints numbers; asserts nothing.
 *
 *   npx tsx bench/hs-proxy.ts [requests=300]
 *
 * Uses the running stack (or starts one, and stops it again).
 */
import { performance } from 'node:perf_hooks';
import { createHomeserverProxy } from '../stack/homeserver-proxy/proxy.js';
import { readStackInfo, startStack, stopStack } from '../stack/index.js';
import { registerUser } from '../stack/provision.js';

const count = Number(process.argv[2] ?? '300');

function quantiles(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  return { p50: q(50), p95: q(95), p99: q(99) };
}

async function time(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    out.push(performance.now() - t);
  }
  return out;
}

async function main(): Promise<void> {
  const running = await readStackInfo();
  const info = running ?? (await startStack());
  const proxy = await createHomeserverProxy({ target: info.synapseUrl });
  try {
    const user = await registerUser(info);
    const auth = { authorization: `Bearer ${user.accessToken}` };
    for (const [label, path, headers] of [
      ['GET /_matrix/client/versions', '/_matrix/client/versions', {}],
      ['GET /sync?timeout=0 (initial, small account)', '/_matrix/client/v3/sync?timeout=0', auth],
    ] as const) {
      for (const base of [info.synapseUrl, proxy.url]) await time(`${base}${path}`, headers, 20);
      const direct = quantiles(await time(`${info.synapseUrl}${path}`, headers, count));
      const proxied = quantiles(await time(`${proxy.url}${path}`, headers, count));
      console.log(`${label} (${count} sequential requests):`);
      for (const k of ['p50', 'p95', 'p99'] as const) {
        console.log(
          `  ${k}  direct ${direct[k].toFixed(2)} ms  via proxy ${proxied[k].toFixed(2)} ms  ` +
            `overhead ${(proxied[k] - direct[k]).toFixed(2)} ms`,
        );
      }
    }
  } finally {
    await proxy.close();
    if (!running) await stopStack();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
