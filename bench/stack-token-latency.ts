/**
 * Auth service token-issue latency on loopback, p50/p99 over 200 sequential requests
 * (after 10 warm-up requests). Prints numbers; asserts nothing.
 *
 *   npx tsx bench/stack-token-latency.ts [requests=200]
 *
 * Scenarios:
 *  - fresh:  a new OpenID token per request, as Element Call does; timed both end to end
 *            (request_token + /get_token) and for /get_token alone;
 *  - reused: one OpenID token for all requests (Synapse accepts reuse until expiry).
 * Each /get_token includes the OpenID userinfo check against Synapse and, since the
 * user is full-access, LiveKit CreateRoom (idempotent for an existing room).
 */
import { performance } from 'node:perf_hooks';
import { readStackInfo, startStack, stopStack, type StackInfo } from '../stack/index.js';
import {
  createRoom,
  registerUser,
  requestOpenIdToken,
  type OpenIdToken,
  type ProvisionedUser,
} from '../stack/provision.js';

const count = Number(process.argv[2] ?? '200');
const warmup = 10;

function summary(label: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `${label.padEnd(44)} p50 ${q(50).toFixed(1)} ms  p95 ${q(95).toFixed(1)} ms  p99 ${q(99).toFixed(1)} ms  mean ${mean.toFixed(1)} ms  max ${(s.at(-1) ?? NaN).toFixed(1)} ms`;
}

async function getToken(
  info: StackInfo,
  user: ProvisionedUser,
  roomId: string,
  openid: OpenIdToken,
  i: number,
): Promise<void> {
  const res = await fetch(`${info.authServiceUrl}/get_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      room_id: roomId,
      slot_id: 'm.call#ROOM',
      openid_token: openid,
      member: { id: `member-${i}`, claimed_user_id: user.userId, claimed_device_id: user.deviceId },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`/get_token answered ${res.status}: ${body}`);
}

async function main(): Promise<void> {
  const running = await readStackInfo();
  const info = running ?? (await startStack());
  try {
    const user = await registerUser(info);
    const { roomId } = await createRoom(info, user, { encrypted: true });

    for (let i = 0; i < warmup; i++)
      await getToken(info, user, roomId, await requestOpenIdToken(info, user), i);

    const endToEnd: number[] = [];
    const jwtOnly: number[] = [];
    const openIdOnly: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const openid = await requestOpenIdToken(info, user);
      const t1 = performance.now();
      await getToken(info, user, roomId, openid, i);
      const t2 = performance.now();
      endToEnd.push(t2 - t0);
      openIdOnly.push(t1 - t0);
      jwtOnly.push(t2 - t1);
    }

    const reused = await requestOpenIdToken(info, user);
    const reusedMs: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await getToken(info, user, roomId, reused, i);
      reusedMs.push(performance.now() - t0);
    }

    console.log(`${count} sequential requests each, after ${warmup} warm-up requests, loopback:`);
    console.log(summary('fresh OpenID token: request_token + /get_token', endToEnd));
    console.log(summary('fresh OpenID token: /get_token alone', jwtOnly));
    console.log(summary('fresh OpenID token: request_token alone', openIdOnly));
    console.log(summary('reused OpenID token: /get_token', reusedMs));
  } finally {
    if (!running) await stopStack();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
