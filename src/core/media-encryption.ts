import { CryptorError, CryptorErrorReason, type BaseKeyProvider } from 'livekit-client';
import { fingerprint, type DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { createSharedSecretKeyProvider, MatrixKeyProvider } from './e2ee.js';
import { createE2eeWorker } from './e2ee-worker.js';
import { TypedEmitter } from './emitter.js';
import type { KeyOrigin } from './key-provenance.js';
import type { EncryptionMode, MediaStats, ParticipantEncryptionState } from './types.js';

/** Decoding is checked every 2 s, and every 500 ms while someone's media cannot be decrypted. */
const STATS_INTERVAL_MS = 500;
const STATS_IDLE_TICKS = 4;
/** At most one keyframe request per participant in this long (a burst of keys asks once). */
export const KEYFRAME_REQUEST_MIN_MS = 2000;

export const MediaEncryptionEvent = {
  /** Someone's encryption state changed. */
  Changed: 'changed',
} as const;

export interface MediaEncryptionEventMap {
  [MediaEncryptionEvent.Changed]: () => void;
}

export interface MediaEncryptionOptions {
  mode: EncryptionMode;
  /** The shared secret, in `shared-secret` mode. */
  password: string | undefined;
  /** Our own LiveKit identity: its frames before the first key are not a problem. */
  ownIdentity: string;
  e2eeWorkerUrl: string | URL | undefined;
  log: DiagnosticsLog;
  /** Receiver statistics of the remote tracks, for the decode watch. */
  readStats: () => Promise<MediaStats[]>;
  /** How a key arrived; `forged` keys are refused. Every key counts without it. */
  originOf?: (key: Uint8Array, index: number) => KeyOrigin;
  /**
   * Asks for a keyframe of a participant's video; returns how many tracks it asked for.
   * Called when a new key arrives for someone whose frames were failing after an earlier
   * key: their receiver may otherwise wait up to 3 s before asking by itself.
   */
  requestKeyframe?: (identity: string) => number;
  /** KEYFRAME_REQUEST_MIN_MS by default (unit tests shorten it). */
  keyframeRequestMinMs?: number;
}

interface Trouble {
  reason: 'missing' | 'invalid';
  at: number;
}

/** The highest media key index a sender uses (it counts modulo 256). */
export const MAX_KEY_INDEX = 255;

/**
 * End-to-end encryption of the call's media: the LiveKit key provider, media
 * keys as they arrive, and per participant whether their frames decrypt. A
 * participant in trouble is watched through the decode statistics, so their
 * tile recovers as soon as frames decode again.
 */
export class MediaEncryption extends TypedEmitter<MediaEncryptionEventMap> {
  readonly mode: EncryptionMode;
  #provider: BaseKeyProvider | undefined;
  #spareWorker: Worker | undefined;
  readonly #keyIndex = new Map<string, number>();
  readonly #trouble = new Map<string, Trouble>();
  /** Last video frame count per remote track, and when it was read. */
  readonly #frames = new Map<string, { frames: number; at: number }>();
  /** When we last asked for a keyframe of each participant. */
  readonly #keyframeAsked = new Map<string, number>();
  #tick = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: MediaEncryptionOptions) {
    super();
    this.mode = options.mode;
  }

  get keyProvider(): BaseKeyProvider | undefined {
    return this.#provider;
  }

  /** Starts the E2EE worker (a ~100 KB script to fetch and parse) ahead of the join. */
  prepare(): void {
    if (this.mode === 'none') return;
    try {
      this.#spareWorker ??= createE2eeWorker(this.options.e2eeWorkerUrl, this.options.log);
    } catch (error) {
      this.options.log.debug('e2ee', 'could not start the E2EE worker early', {
        error: describe(error),
      });
    }
  }

  /** The worker started by `prepare()`, handed over once. */
  takeWorker(): Worker | undefined {
    const worker = this.#spareWorker;
    this.#spareWorker = undefined;
    return worker;
  }

  /** A new key provider for this call (none without encryption). */
  async createKeyProvider(): Promise<BaseKeyProvider | undefined> {
    const { log, password } = this.options;
    if (this.mode === 'none') return (this.#provider = undefined);
    if (this.mode === 'shared-secret') {
      this.#provider = await createSharedSecretKeyProvider(password ?? '');
      log.info('e2ee', 'shared-secret E2EE (PBKDF2)', {
        secretFingerprint: await fingerprint(password ?? ''),
      });
      return this.#provider;
    }
    log.info('e2ee', 'per-participant E2EE (keys over Olm to-device)');
    return (this.#provider = new MatrixKeyProvider());
  }

  /** A media key from MatrixRTC, for a participant (or ourselves). */
  async onKey(key: Uint8Array<ArrayBuffer>, index: number, identity: string): Promise<void> {
    const { log, ownIdentity } = this.options;
    const provider = this.#provider;
    if (!Number.isInteger(index) || index < 0 || index > MAX_KEY_INDEX) {
      // Element Call and matrix-js-sdk count 0–255; anything else is made up.
      log.warn('keys', 'ignoring a media key with an impossible index', {
        participant: identity,
        keyIndex: Number.isFinite(index) ? index : String(index),
      });
      return;
    }
    const fp = await fingerprint(key);
    // After the await: matrix-js-sdk has reported the message by now.
    if (identity !== ownIdentity && this.options.originOf?.(key, index) === 'forged') {
      log.warn('keys', 'ignoring a media key that was not Olm-encrypted by its sender’s device', {
        participant: identity,
        keyIndex: index,
        keyFingerprint: fp,
      });
      return;
    }
    if (!(provider instanceof MatrixKeyProvider)) {
      log.debug('keys', 'media key arrived outside a per-participant call', {
        keyFingerprint: fp,
      });
      return;
    }
    try {
      await provider.setParticipantKey(identity, index, key);
    } catch (error) {
      log.error('keys', 'could not import a media key', {
        participant: identity,
        error: describe(error),
      });
      return;
    }
    log.info('keys', identity === ownIdentity ? 'own media key in use' : 'media key received', {
      participant: identity,
      keyIndex: index,
      keyFingerprint: fp,
    });
    // A receiver that never decoded someone asks for keyframes every 200 ms by itself; one
    // that did (with an earlier key), every 3 s (WebRTC's frame-buffer timeouts).
    const hadKey = this.#keyIndex.has(identity);
    const wasFailing = identity !== ownIdentity && this.#trouble.has(identity);
    const before = this.stateOf(identity);
    this.#keyIndex.set(identity, index);
    this.#trouble.delete(identity); // a new key is worth another try
    if (wasFailing && hadKey) this.#requestKeyframe(identity, index);
    // Every member's rotated key after each join or leave: a new snapshot for each would be
    // N snapshots of N participants per join. Only a state that changed is news.
    if (this.stateOf(identity) !== before) this.emit(MediaEncryptionEvent.Changed);
  }

  /** The frames decrypting from now on are mostly deltas: the decoder needs a keyframe. */
  #requestKeyframe(identity: string, index: number): void {
    const now = Date.now();
    const last = this.#keyframeAsked.get(identity);
    const minMs = this.options.keyframeRequestMinMs ?? KEYFRAME_REQUEST_MIN_MS;
    if (last !== undefined && now - last < minMs) return;
    const tracks = this.options.requestKeyframe?.(identity) ?? 0;
    if (tracks === 0) return;
    this.#keyframeAsked.set(identity, now);
    this.options.log.info('e2ee', 'asking for a keyframe of media that could not be decrypted', {
      participant: identity,
      keyIndex: index,
      tracks,
    });
  }

  /** An error from LiveKit's frame cryptor. */
  onCryptorError(error: Error, participantIdentity: string | undefined): void {
    const { log, ownIdentity } = this.options;
    const identity =
      (error instanceof CryptorError ? error.participantIdentity : undefined) ??
      participantIdentity ??
      /participant (\S+)$/.exec(error.message)?.[1];
    if (!identity) return;
    const reason = cryptorReason(error);
    if (reason === 'internal') return;
    if (identity === ownIdentity) {
      // Our own frames before our first key goes live (useKeyDelay): dropped, not leaked.
      log.debug('e2ee', 'own media waiting for its first key');
      return;
    }
    this.#trouble.set(identity, { reason, at: Date.now() });
    log.warn(
      'e2ee',
      reason === 'missing' ? 'no key for incoming media' : 'cannot decrypt incoming media',
      { participant: identity },
    );
    this.emit(MediaEncryptionEvent.Changed);
  }

  stateOf(identity: string): ParticipantEncryptionState {
    if (this.mode === 'none') return 'none';
    if (identity === this.options.ownIdentity) return 'ok';
    const trouble = this.#trouble.get(identity);
    if (trouble?.reason === 'invalid') return 'key-invalid';
    if (this.mode === 'per-participant' && !this.#keyIndex.has(identity)) return 'waiting-for-key';
    if (trouble?.reason === 'missing') return 'waiting-for-key';
    return 'ok';
  }

  /** Starts watching decoding (while in the call). */
  watchDecoding(): void {
    this.stopWatching();
    this.#timer = setInterval(() => void this.#poll(), STATS_INTERVAL_MS);
  }

  stopWatching(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets the call's keys and troubles (after leaving). */
  reset(): void {
    this.stopWatching();
    this.#keyIndex.clear();
    this.#trouble.clear();
    this.#frames.clear();
    this.#keyframeAsked.clear();
    this.#provider = undefined;
  }

  dispose(): void {
    this.reset();
    this.takeWorker()?.terminate();
    this.removeAllListeners();
  }

  /**
   * Frames decoding again means decryption works again: clear the trouble flag, so the
   * tile shows the video within a second of the key working (not up to 2 s later).
   */
  async #poll(): Promise<void> {
    if (this.#trouble.size === 0 && this.#tick++ % STATS_IDLE_TICKS !== 0) return;
    const now = Date.now();
    for (const stat of await this.options.readStats()) {
      if (stat.kind !== 'video') continue;
      const key = `${stat.participantId}|${stat.trackId}`;
      const before = this.#frames.get(key);
      this.#frames.set(key, { frames: stat.framesDecoded, at: now });
      const trouble = this.#trouble.get(stat.participantId);
      // Only frames counted after the trouble began prove that it is over.
      if (before && trouble && before.at >= trouble.at && stat.framesDecoded > before.frames) {
        this.#trouble.delete(stat.participantId);
        this.options.log.info('e2ee', 'decrypting again', { participant: stat.participantId });
        this.emit(MediaEncryptionEvent.Changed);
      }
    }
  }
}

/**
 * The worker's errors cross postMessage as plain Errors whose message starts
 * with the reason name ("MissingKey: …"), so `instanceof` alone is not enough.
 */
function cryptorReason(error: Error): 'missing' | 'invalid' | 'internal' {
  const reason =
    error instanceof CryptorError
      ? error.reason
      : /^MissingKey/.test(error.message)
        ? CryptorErrorReason.MissingKey
        : /^InvalidKey/.test(error.message)
          ? CryptorErrorReason.InvalidKey
          : CryptorErrorReason.InternalError;
  if (reason === CryptorErrorReason.MissingKey) return 'missing';
  if (reason === CryptorErrorReason.InvalidKey) return 'invalid';
  return 'internal';
}
