import { ClientEvent, SyncState, type MatrixClient } from 'matrix-js-sdk/lib/matrix.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { TypedEmitter } from './emitter.js';

export const HomeserverLinkEvent = {
  Changed: 'changed',
} as const;

export interface HomeserverLinkEventMap {
  [HomeserverLinkEvent.Changed]: (reachable: boolean) => void;
}

/**
 * Whether the homeserver answers our `/sync`, as matrix-js-sdk sees it. Media
 * goes through the SFU, so a call carries on without it; the UI says so.
 */
export class HomeserverLink extends TypedEmitter<HomeserverLinkEventMap> {
  #reachable = true;
  readonly #undo: () => void;

  constructor(client: MatrixClient, log: DiagnosticsLog) {
    super();
    const onSync = (state: SyncState) => {
      const reachable = state !== SyncState.Error && state !== SyncState.Reconnecting;
      if (reachable === this.#reachable) return;
      this.#reachable = reachable;
      if (reachable) log.info('matrix', 'the homeserver answers again');
      else log.warn('matrix', 'lost the homeserver; the call continues', { sync: state });
      this.emit(HomeserverLinkEvent.Changed, reachable);
    };
    client.on(ClientEvent.Sync, onSync);
    this.#undo = () => client.off(ClientEvent.Sync, onSync);
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  dispose(): void {
    this.#undo();
    this.removeAllListeners();
  }
}
