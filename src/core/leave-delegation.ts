import {
  MembershipManagerEvent,
  type MatrixRTCSession,
} from 'matrix-js-sdk/lib/matrixrtc/index.js';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import type { MatrixSession } from './matrix-session.js';
import type { Publishing } from './own-sfu.js';
import { handOverDelayedLeave } from './sfu-auth.js';

export interface LeaveDelegationOptions {
  rtc: MatrixRTCSession;
  matrix: MatrixSession;
  roomId: string;
  /** Where we publish now; its auth service gets the delayed leave. */
  publishing: () => Publishing | undefined;
  /** The delay our delayed leave event was scheduled with. */
  delayMs: () => number;
  log: DiagnosticsLog;
  fetch?: typeof fetch;
}

/** Tries per delay ID when the service or homeserver fails; the client's restarts go on anyway. */
const ATTEMPTS = 3;
const RETRY_MS = 2000;

/**
 * Hands each new delayed leave event of ours to our SFU's auth service, which then
 * restarts it from the server side and sends it when LiveKit reports that we left, so
 * a slow or lossy path from us to the homeserver can't remove our membership. A
 * service that does not delegate is remembered and not asked again.
 */
export class LeaveDelegation {
  /** Services that answered that they do not delegate. */
  readonly #unsupported = new Set<string>();
  #delegated: string | undefined;
  #abort = new AbortController();
  readonly #undo: () => void;

  constructor(private readonly options: LeaveDelegationOptions) {
    const onDelayId = (delayId: string | undefined) => {
      this.#abort.abort();
      this.#abort = new AbortController();
      this.#delegated = undefined;
      // Anyone who has it can send or cancel our leave: redacted wherever it is logged.
      options.log.addSecret(delayId);
      if (delayId !== undefined) void this.#handOver(delayId, this.#abort.signal);
    };
    options.rtc.on(MembershipManagerEvent.DelayIdChanged, onDelayId);
    this.#undo = () => {
      options.rtc.off(MembershipManagerEvent.DelayIdChanged, onDelayId);
    };
  }

  /** Whether the service we publish on holds our current delayed leave (for diagnostics). */
  get delegated(): boolean {
    return this.#delegated !== undefined;
  }

  async #handOver(delayId: string, signal: AbortSignal): Promise<void> {
    const { matrix, roomId, log } = this.options;
    const publishing = this.options.publishing();
    if (!publishing || this.#unsupported.has(publishing.serviceUrl)) return;
    const { serviceUrl } = publishing;
    const aborted = () => signal.aborted; // changes while awaiting
    for (let attempt = 1; attempt <= ATTEMPTS && !aborted(); attempt++) {
      try {
        const taken = await handOverDelayedLeave(
          {
            serviceUrl,
            roomId,
            userId: matrix.userId,
            deviceId: matrix.deviceId,
            homeserver: matrix.homeserver,
            memberId: publishing.memberId,
            getOpenIdToken: () => matrix.client.getOpenIdToken(),
            log,
            signal,
            fetch: this.options.fetch,
          },
          { delayId, delayTimeoutMs: this.options.delayMs(), csApiUrl: matrix.homeserver },
        );
        if (aborted()) return;
        if (!taken) {
          this.#unsupported.add(serviceUrl);
          return;
        }
        this.#delegated = serviceUrl;
        log.info('membership', 'our SFU’s auth service keeps our delayed leave alive', {
          service: serviceUrl,
        });
        return;
      } catch (error) {
        if (aborted()) return;
        log.warn('membership', 'could not hand over our delayed leave; we restart it ourselves', {
          attempt,
          error: describe(error),
        });
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS * attempt));
      }
    }
  }

  dispose(): void {
    this.#abort.abort();
    this.#undo();
  }
}
