// Page side of bench/core-join.ts: one CallSession per page, driven from Node.
import { CallSession } from '../src/core/call-session.js';
import type { MatrixCredentials } from '../src/core/types.js';

let session: CallSession | undefined;

const bench = {
  async start(credentials: MatrixCredentials, room: string): Promise<void> {
    session = new CallSession({ source: { kind: 'credentials', credentials }, room });
    // Remote video only flows to visible views (adaptive stream), as in a real tile.
    session.subscribe((s) => {
      for (const p of s.participants) {
        if (!p.isLocal && p.cameraTrack && !seen.has(p.cameraTrack.id)) {
          seen.add(p.cameraTrack.id);
          p.cameraTrack.observeView({ visible: true, width: 640, height: 360 });
        }
      }
    });
    await session.start();
    await session.startPreview();
  },
  async join(): Promise<{ t0: number; joined: number; phases: Record<string, number> }> {
    if (!session) throw new Error('start first');
    const t0 = Date.now();
    await session.join();
    return { t0, joined: Date.now(), phases: session.lastJoinTimings ?? {} };
  },
  /** Epoch ms of the first decoded frame from `participantId`. */
  async firstFrame(participantId: string, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const stats = (await session?.getMediaStats()) ?? [];
      if (
        stats.some(
          (x) => x.participantId === participantId && x.kind === 'video' && x.framesDecoded > 0,
        )
      ) {
        return Date.now();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no decoded frame in time');
  },
  async dispose(): Promise<void> {
    await session?.dispose();
    session = undefined;
  },
};
const seen = new Set<string>();

(window as unknown as { bench: typeof bench }).bench = bench;
