import type { MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';

interface ManagerInternals {
  client: {
    getStateEvent(roomId: string, type: string, stateKey: string): Promise<unknown>;
    /** Set on matrix-js-sdk's widget client, whose requests are no HTTP. */
    widgetApi?: unknown;
  };
  room: { roomId: string };
  stateKey: string;
}

function isManager(value: unknown): value is ManagerInternals {
  const m = value as Partial<ManagerInternals> | undefined;
  return (
    typeof m?.stateKey === 'string' &&
    typeof m.room?.roomId === 'string' &&
    typeof m.client?.getStateEvent === 'function'
  );
}

/**
 * Reads our membership's state event URL once, right after `joinRTCSession`. A browser
 * asks a cross-origin homeserver's permission (a CORS preflight) before the first `PUT` to each
 * URL, one round trip, and caches the answer for every method it allows: read while the
 * delayed leave is sent, the membership's own `PUT` then goes without one. At 150 ms to
 * the homeserver a peer sees us one round trip sooner (bench/README.md).
 */
export function warmMembershipUrl(
  rtc: MatrixRTCSession,
  eventType: string,
  log: DiagnosticsLog,
): void {
  const manager = (rtc as unknown as { membershipManager?: unknown }).membershipManager;
  if (!isManager(manager) || manager.client.widgetApi !== undefined) return;
  manager.client
    .getStateEvent(manager.room.roomId, eventType, manager.stateKey)
    .catch((error: unknown) => {
      // Not there yet (M_NOT_FOUND) is the usual answer; only the round trip matters.
      if ((error as { errcode?: string }).errcode !== 'M_NOT_FOUND')
        log.debug('membership', 'could not read our membership ahead of sending it', {
          error: describe(error),
        });
    });
}
