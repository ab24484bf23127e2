import {
  MembershipManagerEvent,
  type MatrixRTCSession,
} from 'matrix-js-sdk/lib/matrixrtc/index.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import type { MatrixSession } from './matrix-session.js';

export interface OrphanLeavesOptions {
  rtc: MatrixRTCSession;
  matrix: MatrixSession;
  roomId: string;
  log: DiagnosticsLog;
}

/** A scheduled delayed event as the homeserver lists it (MSC4140). */
export interface ScheduledDelayedEvent {
  delayId: string;
  roomId: string;
  type: string;
  stateKey: string | undefined;
}

interface RawDelayedEvent {
  delay_id?: unknown;
  room_id?: unknown;
  type?: unknown;
  state_key?: unknown;
}

/**
 * A second look, for one whose request was still on its way to the homeserver the first
 * time: well inside the 18 s of our delay.
 */
const RECHECK_MS = 8000;

/**
 * Reads `GET …/delayed_events`: Synapse answers `{delayed_events: […]}`, the current draft
 * of MSC4140 `{scheduled: […]}`. Anything malformed is left out.
 */
export function readScheduled(body: unknown): ScheduledDelayedEvent[] {
  if (typeof body !== 'object' || body === null) return [];
  const { delayed_events: legacy, scheduled } = body as {
    delayed_events?: unknown;
    scheduled?: unknown;
  };
  const items = Array.isArray(scheduled) ? scheduled : Array.isArray(legacy) ? legacy : [];
  const out: ScheduledDelayedEvent[] = [];
  for (const item of items as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const e = item as RawDelayedEvent;
    if (typeof e.delay_id !== 'string' || typeof e.room_id !== 'string') continue;
    if (typeof e.type !== 'string') continue;
    out.push({
      delayId: e.delay_id,
      roomId: e.room_id,
      type: e.type,
      stateKey: typeof e.state_key === 'string' ? e.state_key : undefined,
    });
  }
  return out;
}

/**
 * The delayed events that would overwrite the same membership as `currentId`. matrix-js-sdk
 * schedules the next one only after it has let go of the current, so while `currentId` is its
 * own, any other is an orphan.
 */
export function findOrphans(
  scheduled: ScheduledDelayedEvent[],
  currentId: string,
): ScheduledDelayedEvent[] {
  const current = scheduled.find((e) => e.delayId === currentId);
  if (!current?.stateKey) return [];
  return scheduled.filter(
    (e) =>
      e.delayId !== currentId &&
      e.roomId === current.roomId &&
      e.type === current.type &&
      e.stateKey === current.stateKey,
  );
}

/**
 * Cancels delayed leaves of ours that nobody keeps alive. When the answer to scheduling one
 * is lost (a timeout or a 504 after the homeserver stored it), matrix-js-sdk schedules another
 * and forgets the first, which then empties our membership when its delay runs out: a flap.
 */
export class OrphanLeaves {
  #abort = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #undo: () => void;

  constructor(private readonly options: OrphanLeavesOptions) {
    const onDelayId = (delayId: string | undefined) => {
      this.#abort.abort();
      this.#abort = new AbortController();
      clearTimeout(this.#timer);
      if (delayId !== undefined) void this.#sweep(delayId, this.#abort.signal, true);
    };
    options.rtc.on(MembershipManagerEvent.DelayIdChanged, onDelayId);
    this.#undo = () => {
      options.rtc.off(MembershipManagerEvent.DelayIdChanged, onDelayId);
    };
  }

  async #sweep(currentId: string, signal: AbortSignal, again: boolean): Promise<void> {
    if (again) {
      this.#timer = setTimeout(() => void this.#sweep(currentId, signal, false), RECHECK_MS);
    }
    const { matrix, roomId, log } = this.options;
    const aborted = () => signal.aborted; // changes while awaiting
    let orphans: ScheduledDelayedEvent[];
    try {
      const body: unknown = await matrix.client._unstable_getDelayedEvents();
      if (aborted()) return;
      const scheduled = readScheduled(body).filter((e) => e.roomId === roomId);
      orphans = findOrphans(scheduled, currentId);
      log.debug('membership', 'our delayed events in this room', {
        count: scheduled.length,
        orphans: orphans.length,
      });
    } catch (error) {
      // The second look, or the next new delay ID, tries again.
      log.debug('membership', 'could not list our delayed events', { error: describe(error) });
      return;
    }
    for (const orphan of orphans) {
      if (aborted()) return;
      log.addSecret(orphan.delayId);
      try {
        await matrix.client._unstable_cancelScheduledDelayedEvent(orphan.delayId);
        log.info('membership', 'cancelled a delayed leave of ours that nobody kept alive');
      } catch (error) {
        // M_NOT_FOUND: it fired or was cancelled meanwhile.
        log.debug('membership', 'could not cancel an orphaned delayed leave', {
          error: describe(error),
        });
      }
    }
  }

  dispose(): void {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#undo();
  }
}
