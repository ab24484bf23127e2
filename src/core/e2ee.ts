import { BaseKeyProvider, ExternalE2EEKeyProvider } from 'livekit-client';

/**
 * Per-participant media keys from MatrixRTC, fed to LiveKit's frame cryptor.
 * The ring must hold 256 keys: senders put `index % ringSize` in each frame
 * trailer and Element Call uses the full 0..255 index range.
 */
export class MatrixKeyProvider extends BaseKeyProvider {
  constructor() {
    // failureTolerance: livekit-client's default (10) gives up on a key index after 10 failed
    // frames and then drops that index's frames without trying or reporting them until a key
    // is set there again: a black tile whose state says "ok". We try every frame, and a
    // failure stays visible (throttled) as the participant's encryption state.
    super({ ratchetWindowSize: 10, keyringSize: 256, failureTolerance: -1 });
  }

  /** Imports raw key bytes as HKDF material (LiveKit derives the AES-GCM key from it). */
  async setParticipantKey(
    identity: string,
    index: number,
    key: Uint8Array<ArrayBuffer>,
  ): Promise<void> {
    const material = await crypto.subtle.importKey('raw', key, 'HKDF', false, [
      'deriveBits',
      'deriveKey',
    ]);
    this.onSetEncryptionKey(material, identity, index);
  }
}

/** Shared-secret mode: LiveKit's PBKDF2 path, as Element Call's `password` parameter does. */
export async function createSharedSecretKeyProvider(
  secret: string,
): Promise<ExternalE2EEKeyProvider> {
  const provider = new ExternalE2EEKeyProvider();
  await provider.setKey(secret);
  return provider;
}
