import { ClientEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk/lib/matrix.js';
import type { ReceivedToDeviceMessage } from 'matrix-js-sdk/lib/sync-accumulator.js';
import type { DiagnosticsLog } from './diagnostics.js';

const KEYS_EVENT = 'io.element.call.encryption_keys';
/** Remembered key messages; a call sees a handful per member and rotation. */
const CAPACITY = 500;

export type KeyOrigin = 'olm' | 'forged' | 'unknown';

/**
 * Where media keys came from. matrix-js-sdk 43 imports call keys from
 * to-device messages whether they were Olm-encrypted or not. Under E2EE the
 * homeserver is not trusted, so a key only counts if it came Olm-encrypted
 * from the device it claims. matrix-js-sdk reports each message here in the
 * same turn as it hands the key on; `MediaEncryption` asks after an await.
 */
export class KeyProvenance {
  readonly #seen = new Map<string, KeyOrigin>();
  readonly #undo: () => void;

  /**
   * `viaHost`: a widget's client, whose host decrypted the message and says only whether it
   * was encrypted (the host checked the device; we cannot).
   */
  constructor(client: MatrixClient, roomId: string, log: DiagnosticsLog, viaHost = false) {
    if (viaHost) {
      const onEvent = (event: MatrixEvent) => {
        this.#record(
          {
            type: event.getType(),
            sender: event.getSender() ?? '',
            content: event.getContent(),
          },
          event.isEncrypted() ? 'host' : undefined,
          roomId,
          log,
        );
      };
      // The widget client emits only this (deprecated) event, as matrix-js-sdk's key transport reads.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      client.on(ClientEvent.ToDeviceEvent, onEvent);
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      this.#undo = () => client.off(ClientEvent.ToDeviceEvent, onEvent);
      return;
    }
    const onMessage = ({ message, encryptionInfo }: ReceivedToDeviceMessage) => {
      this.#record(message, encryptionInfo ?? undefined, roomId, log);
    };
    client.on(ClientEvent.ReceivedToDeviceMessage, onMessage);
    this.#undo = () => client.off(ClientEvent.ReceivedToDeviceMessage, onMessage);
  }

  #record(
    message: { type: string; sender: string; content: unknown },
    encryptionInfo: { sender: string; senderDevice?: string } | 'host' | undefined,
    roomId: string,
    log: DiagnosticsLog,
  ): void {
    if (message.type !== KEYS_EVENT) return;
    const content = message.content as {
      room_id?: unknown;
      keys?: { key?: unknown; index?: unknown };
      member?: { claimed_device_id?: unknown };
    };
    if (content.room_id !== roomId) return;
    const { key, index } = content.keys ?? {};
    if (typeof key !== 'string' || typeof index !== 'number') return;
    const device = content.member?.claimed_device_id;
    const fromClaimedDevice =
      encryptionInfo === 'host' ||
      (!!encryptionInfo &&
        encryptionInfo.sender === message.sender &&
        (encryptionInfo.senderDevice === undefined || encryptionInfo.senderDevice === device));
    const id = entryId(base64Bytes(key), index);
    if (!id) return;
    if (!fromClaimedDevice)
      log.warn('keys', 'a media key came in clear or from another device; it will not count', {
        sender: message.sender,
        claimedDevice: typeof device === 'string' ? device : null,
        keyIndex: index,
        olm: !!encryptionInfo,
      });
    if (this.#seen.get(id) !== 'olm') this.#seen.set(id, fromClaimedDevice ? 'olm' : 'forged');
    if (this.#seen.size > CAPACITY) this.#seen.delete(this.#seen.keys().next().value ?? '');
  }

  /** `forged` for a key that only ever came in clear, or from a device other than the one it names. */
  originOf(key: Uint8Array, index: number): KeyOrigin {
    return this.#seen.get(entryId(key, index) ?? '') ?? 'unknown';
  }

  dispose(): void {
    this.#undo();
  }
}

function entryId(key: Uint8Array | undefined, index: number): string | undefined {
  if (!key) return undefined;
  let binary = '';
  for (const byte of key) binary += String.fromCharCode(byte);
  return `${index}|${btoa(binary)}`;
}

/** Decodes standard or URL-safe base64, padded or not. */
function base64Bytes(text: string): Uint8Array | undefined {
  try {
    const normal = text.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(normal + '='.repeat((4 - (normal.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
