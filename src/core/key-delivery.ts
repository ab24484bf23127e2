import { ClientEvent, type MatrixClient, type Room } from 'matrix-js-sdk/lib/matrix.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';

/** The to-device event type per-participant media keys travel in. */
export const CALL_KEYS_EVENT = 'io.element.call.encryption_keys';

/**
 * Records media-key messages as they travel, so a missing key can be traced:
 * what arrives over to-device before matrix-js-sdk filters it ("never
 * delivered" vs "dropped on receipt"), and, on a client we own, each send and
 * its outcome (matrix-js-sdk swallows send errors). Returns the undo.
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

function wrapKeySends(client: MatrixClient, log: DiagnosticsLog): void {
  const send = client.encryptAndSendToDevice.bind(client);
  client.encryptAndSendToDevice = async (type, devices, payload) => {
    if (type !== CALL_KEYS_EVENT) return send(type, devices, payload);
    const keyIndex = (payload as { keys?: { index?: number } }).keys?.index ?? null;
    try {
      await send(type, devices, payload);
      log.info('keys', 'key message sent (to-device)', { keyIndex, devices: devices.length });
    } catch (error) {
      log.error('keys', 'sending a media key failed', { keyIndex, error: describe(error) });
      throw error;
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
