import { RoomWidgetClient, type ICapabilities } from 'matrix-js-sdk/lib/embedded.js';
import {
  EventTimeline,
  EventType,
  MatrixScheduler,
  MemoryStore,
  type MatrixClient,
} from 'matrix-js-sdk/lib/matrix.js';
import { MatrixCapabilities, type WidgetApi } from 'matrix-widget-api';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { MatrixCallError } from './errors.js';
import { withTimeout } from './with-timeout.js';
import type { WidgetSource } from './types.js';

const CALL_MEMBER = 'org.matrix.msc3401.call.member';
const KEYS = 'io.element.call.encryption_keys';
const NOTIFICATION = 'org.matrix.msc4075.rtc.notification';
const LEGACY_NOTIFY = 'org.matrix.msc4075.call.notify';
const DECLINE = 'org.matrix.msc4310.rtc.decline';
const REACTION = 'io.element.call.reaction';

/** How long the host may take to answer the capability request and send the room's state. */
const HOST_TIMEOUT_MS = 30_000;

/**
 * What we ask the host for: what Element Call asks for, so a host that runs Element Call runs
 * us. The host encrypts and decrypts to-device messages; we start no crypto of our own.
 */
export function widgetCapabilities(userId: string, deviceId: string): ICapabilities {
  const events = [
    NOTIFICATION,
    LEGACY_NOTIFY,
    DECLINE,
    KEYS,
    EventType.Reaction,
    EventType.RoomRedaction,
    REACTION,
  ];
  return {
    sendEvent: events,
    receiveEvent: events,
    sendState: [userId, `_${userId}_${deviceId}_m.call`, `${userId}_${deviceId}_m.call`].map(
      (stateKey) => ({ eventType: CALL_MEMBER, stateKey }),
    ),
    receiveState: [
      { eventType: EventType.RoomCreate },
      { eventType: EventType.RoomName },
      { eventType: EventType.RoomMember },
      { eventType: EventType.RoomEncryption },
      { eventType: EventType.RoomPowerLevels },
      { eventType: CALL_MEMBER },
    ],
    sendToDevice: [KEYS],
    receiveToDevice: [KEYS],
    turnServers: false,
    rtcTransports: true,
    sendDelayedEvents: true,
    updateDelayedEvents: true,
    sendSticky: true,
    receiveSticky: true,
  };
}

/**
 * Without these the call cannot work: no delayed leave means a crash leaves a ghost for
 * hours, no to-device keys means nobody can decrypt us. Element Call goes on silently
 * without them; we stop and say which.
 */
function requiredCapabilities(userId: string, deviceId: string): [string, string][] {
  return [
    [
      MatrixCapabilities.MSC4157SendDelayedEvent,
      'delayed events (MSC4157), which take you out of the call if your app goes away',
    ],
    [MatrixCapabilities.MSC4157UpdateDelayedEvent, 'updating delayed events (MSC4157)'],
    [`org.matrix.msc3819.send.to_device:${KEYS}`, 'sending encrypted media keys (to-device)'],
    [`org.matrix.msc3819.receive.to_device:${KEYS}`, 'receiving encrypted media keys (to-device)'],
    [
      `org.matrix.msc2762.send.state_event:${CALL_MEMBER}#_${userId}_${deviceId}_m.call`,
      'sending your call membership',
    ],
  ];
}

/**
 * A Matrix client that talks to the host over the widget API (matrix-js-sdk's
 * `RoomWidgetClient`), started once the host has granted what a call needs.
 */
export async function startWidgetClient(
  source: WidgetSource,
  log: DiagnosticsLog,
  signal?: AbortSignal,
): Promise<MatrixClient> {
  const { api, roomId, userId, deviceId, baseUrl } = source;
  const granted = new Promise<void>((resolve) => {
    api.once('ready', () => {
      resolve();
    });
  });
  // matrix-js-sdk's createRoomWidgetClient, built here so this chunk alone carries the widget client.
  const client = new RoomWidgetClient(
    api,
    widgetCapabilities(userId, deviceId),
    roomId,
    {
      baseUrl,
      userId,
      deviceId,
      timelineSupport: true,
      store: new MemoryStore(),
      scheduler: new MatrixScheduler(),
    },
    // Content loaded goes once the page is drawn (`drawn`), not before.
    false,
  );
  log.info('matrix', 'asking the widget host for capabilities', { roomId, userId, deviceId });
  Promise.resolve(source.drawn)
    .then(() => api.sendContentLoaded())
    .catch((error: unknown) => {
      log.warn('matrix', 'could not tell the widget host that we loaded', {
        error: describe(error),
      });
    });
  const hostTimeout = () =>
    new MatrixCallError('invalid-config', 'The app hosting this call does not answer.', {
      hint: 'The widget host did not answer the widget API within 30 s. Open the call again; if it stays, the host may not support Matrix widgets.',
      audience: 'admin',
    });
  try {
    await withTimeout(granted, HOST_TIMEOUT_MS, signal, hostTimeout);
    const refused = missingCapabilities(api, userId, deviceId);
    if (refused.length > 0) {
      log.error('matrix', 'the widget host refused capabilities a call needs', {
        refused: refused.join('; '),
      });
      throw MatrixCallError.widgetCapabilityDenied(refused);
    }
    await withTimeout(client.startClient(), HOST_TIMEOUT_MS, signal, hostTimeout);
    if (!(await roomStateIn(client, roomId, HOST_TIMEOUT_MS, signal)))
      log.warn('matrix', 'the widget host sent no room state');
  } catch (error) {
    try {
      client.stopClient();
    } catch {
      // never started: matrix-js-sdk's widget client has nothing to stop then, and throws
    }
    if (error instanceof MatrixCallError) throw error;
    log.error('matrix', 'the widget client failed to start', { error: describe(error) });
    throw MatrixCallError.from(error);
  }
  log.info('matrix', 'widget client started', { roomId });
  return client;
}

function missingCapabilities(api: WidgetApi, userId: string, deviceId: string): string[] {
  return requiredCapabilities(userId, deviceId)
    .filter(([capability]) => !api.hasCapability(capability))
    .map(([, what]) => what);
}

/**
 * matrix-js-sdk's widget client returns from `startClient()` when the host's first state update
 * arrives, before it has put that state into the room: wait until the room's creation event is
 * there (the host sends all the state in that one update), or encryption would read as off.
 */
async function roomStateIn(
  client: MatrixClient,
  roomId: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const has = () =>
    !!client
      .getRoom(roomId)
      ?.getLiveTimeline()
      .getState(EventTimeline.FORWARDS)
      ?.getStateEvents(EventType.RoomCreate, '');
  const until = Date.now() + timeoutMs;
  while (!has()) {
    signal?.throwIfAborted();
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
