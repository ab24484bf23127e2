import { ClientEvent, type MatrixClient, type Room } from 'matrix-js-sdk/lib/matrix.js';
import type { MatrixRTCSession } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import pRetry from 'p-retry';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { isWorthRetrying } from './matrix-errors.js';

/** The to-device event type per-participant media keys travel in. */
export const CALL_KEYS_EVENT = 'io.element.call.encryption_keys';

/**
 * Records media-key messages as they travel, so a missing key can be traced:
 * what arrives over to-device before matrix-js-sdk filters it ("never
 * delivered" vs "dropped on receipt"), and, on a client we own, each send and
 * its outcome. There, a failed send is also tried again: matrix-js-sdk swallows the error
 * and sends that key again only when the memberships next change, so one lost request
 * (a dropped `/keys/claim` or `/sendToDevice`) would leave a peer unable to decrypt us.
 * Returns the undo.
 */
export function logKeyDelivery(
  client: MatrixClient,
  roomId: string,
  log: DiagnosticsLog,
  { observeSends }: { observeSends: boolean },
): () => void {
  const onToDevice = ({
    message,
  }: {
    message: { type: string; sender: string; content: unknown };
  }) => {
    if (message.type !== CALL_KEYS_EVENT) return;
    const content = message.content as { room_id?: unknown; keys?: { index?: unknown } } | null;
    if (content?.room_id !== roomId) return;
    log.debug('keys', 'key message arrived (to-device)', {
      from: message.sender,
      keyIndex: typeof content.keys?.index === 'number' ? content.keys.index : null,
    });
  };
  client.on(ClientEvent.ReceivedToDeviceMessage, onToDevice);
  if (observeSends) wrapKeySends(client, log);
  return () => {
    client.off(ClientEvent.ReceivedToDeviceMessage, onToDevice);
  };
}

/** Tries of one key message: about 15 s in all, well before a peer's tile gives up on us. */
const KEY_SEND_RETRIES = 4;
/** Waits for a device we don't know yet (a /sync and a /keys/query away): about 30 s in all. */
const UNKNOWN_DEVICE_WAITS_MS = [1000, 2000, 3000, 4000, 5000, 5000, 5000, 5000];

type Device = { userId: string; deviceId: string };

/**
 * The devices our crypto has no keys for yet. matrix-js-sdk skips them with only a console
 * warning, and counts the key as shared: a person who joins from a new device can be in
 * the call before our /sync has told us of that device.
 */
async function unknownDevices(client: MatrixClient, devices: Device[]): Promise<Device[]> {
  const crypto = client.getCrypto();
  if (!crypto) return [];
  try {
    const users = [...new Set(devices.map((d) => d.userId))];
    const known = await crypto.getUserDeviceInfo(users, true);
    return devices.filter((d) => !known.get(d.userId)?.has(d.deviceId));
  } catch {
    return [];
  }
}

function wrapKeySends(client: MatrixClient, log: DiagnosticsLog): void {
  const send = client.encryptAndSendToDevice.bind(client);
  client.encryptAndSendToDevice = async (type, devices, payload) => {
    if (type !== CALL_KEYS_EVENT) return send(type, devices, payload);
    const keyIndex = (payload as { keys?: { index?: number } }).keys?.index ?? null;
    const sendTrying = async (to: Device[]) => {
      try {
        await pRetry(() => send(type, to, payload), {
          retries: KEY_SEND_RETRIES,
          minTimeout: 1000,
          maxTimeout: 6000,
          shouldRetry: ({ error }) => isWorthRetrying(error),
          onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft > 0)
              log.warn('keys', 'sending a media key failed; trying again', {
                keyIndex,
                attempt: attemptNumber,
                error: describe(error),
              });
          },
        });
        log.info('keys', 'key message sent (to-device)', { keyIndex, devices: to.length });
      } catch (error) {
        log.error('keys', 'sending a media key failed', { keyIndex, error: describe(error) });
        throw error;
      }
    };
    const unknown = await unknownDevices(client, devices);
    if (unknown.length > 0) void sendWhenKnown(unknown);
    const ready = devices.filter((d) => !unknown.includes(d));
    if (ready.length > 0) await sendTrying(ready);

    async function sendWhenKnown(waiting: Device[]): Promise<void> {
      log.info('keys', 'waiting to learn of a device before sending it our key', {
        keyIndex,
        devices: waiting.length,
      });
      for (const ms of UNKNOWN_DEVICE_WAITS_MS) {
        await new Promise((resolve) => setTimeout(resolve, ms));
        const still = await unknownDevices(client, waiting);
        const known = waiting.filter((d) => !still.includes(d));
        if (known.length > 0) await sendTrying(known).catch(() => undefined);
        waiting = still;
        if (waiting.length === 0) return;
      }
      log.warn('keys', 'a device in the call never became known: it has no key of ours', {
        keyIndex,
        devices: waiting.length,
      });
    }
  };
}

/** Sets up Olm sessions with the room's devices ahead of the join: media keys travel over them. */
export function prepareKeyDelivery(client: MatrixClient, room: Room, log: DiagnosticsLog): void {
  try {
    client.getCrypto()?.prepareToEncrypt(room);
  } catch (error) {
    log.debug('keys', 'could not prepare Olm sessions early', { error: describe(error) });
  }
}

/**
 * Sends our first media key to those already in the call now. matrix-js-sdk sends it on
 * the next membership change, usually the echo of our own membership two homeserver round
 * trips later; a receiver holds a key that comes before the membership until it arrives.
 */
export function sendFirstKeyNow(rtc: MatrixRTCSession, log: DiagnosticsLog): void {
  const keys = (rtc as unknown as { encryptionManager?: { onMembershipsUpdate?: unknown } })
    .encryptionManager;
  if (typeof keys?.onMembershipsUpdate !== 'function') {
    log.debug('keys', 'matrix-js-sdk changed: our first key goes with our membership');
    return;
  }
  try {
    (keys.onMembershipsUpdate as () => void).call(keys);
  } catch (error) {
    log.debug('keys', 'could not send our first key early', { error: describe(error) });
  }
}

/**
 * Silences the key manager of a session we left. matrix-js-sdk keeps it until the next
 * join and goes on calling it on every membership change: it rotates and sends keys for a
 * call we are no longer in, and a rotation that was waiting out its key delay reports its
 * key as ours after we joined again. We then encrypted with a key only the old call's
 * members had, and whoever joined since waited for a key forever (the churn test).
 */
export function retireKeyManager(rtc: MatrixRTCSession): void {
  const keys = (rtc as unknown as { encryptionManager?: Record<string, unknown> })
    .encryptionManager;
  if (!keys) return;
  keys['manageMediaKeys'] = false;
  keys['onEncryptionKeysChanged'] = () => undefined;
}
