import { version as livekitVersion } from 'livekit-client';
import { ClientEvent } from 'matrix-js-sdk/lib/matrix.js';
import { TypedEmitter } from './emitter.js';
import { DiagnosticsLog } from './diagnostics.js';
import { MatrixCallError } from './errors.js';
import {
  CallSessionEvent,
  type CallSessionApi,
  type CallSessionEventMap,
  type CallSessionOptions,
  type CallSnapshot,
  type DeviceKind,
} from './types.js';

/** Work in progress: the real session lands with the core issue. */
export class CallSession extends TypedEmitter<CallSessionEventMap> implements CallSessionApi {
  readonly diagnostics = new DiagnosticsLog();
  readonly options: CallSessionOptions;
  private current: CallSnapshot | undefined;

  constructor(options: CallSessionOptions) {
    super();
    this.options = options;
    this.diagnostics.info('session', 'engine loaded', { livekitVersion, sync: ClientEvent.Sync });
  }

  get snapshot(): CallSnapshot {
    if (!this.current) throw MatrixCallError.unknown();
    return this.current;
  }

  subscribe(listener: (snapshot: CallSnapshot) => void): () => void {
    this.on(CallSessionEvent.StateChanged, listener);
    return () => this.off(CallSessionEvent.StateChanged, listener);
  }

  start(): Promise<void> {
    return Promise.reject(MatrixCallError.unknown());
  }
  startPreview(): Promise<void> {
    return Promise.reject(MatrixCallError.unknown());
  }
  stopPreview(): Promise<void> {
    return Promise.resolve();
  }
  join(): Promise<void> {
    return Promise.reject(MatrixCallError.unknown());
  }
  leave(): Promise<void> {
    return Promise.resolve();
  }
  setMicrophoneEnabled(_enabled: boolean): Promise<void> {
    return Promise.resolve();
  }
  setCameraEnabled(_enabled: boolean): Promise<void> {
    return Promise.resolve();
  }
  setScreenShareEnabled(_enabled: boolean): Promise<void> {
    return Promise.resolve();
  }
  selectDevice(_kind: DeviceKind, _deviceId: string): Promise<void> {
    return Promise.resolve();
  }
  dispose(): Promise<void> {
    return Promise.resolve();
  }
}
