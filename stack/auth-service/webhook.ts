/**
 * LiveKit's webhook (`POST /sfu_webhook`): verified with livekit-server-sdk's
 * WebhookReceiver (the `Authorization` JWT is signed with the API secret and carries the
 * body's SHA-256), then reduced to what delegated leave events need.
 */
import { WebhookReceiver } from 'livekit-server-sdk';
import type { SfuSignal } from './delayed-leave.js';
import { HttpError } from './http-error.js';

/** livekit.DisconnectReason.CLIENT_INITIATED: the participant hung up itself. */
const CLIENT_INITIATED = 1;

export interface ParticipantEvent {
  event: string;
  room: string;
  identity: string;
  /** What it means for a delegated leave; undefined for events that do not matter. */
  signal?: SfuSignal;
}

export class SfuWebhook {
  private readonly receiver: WebhookReceiver;

  constructor(apiKey: string, apiSecret: string) {
    this.receiver = new WebhookReceiver(apiKey, apiSecret);
  }

  /** Throws 401 when the signature does not verify. */
  async receive(body: Buffer, authorization: string | undefined): Promise<ParticipantEvent> {
    let event;
    try {
      event = await this.receiver.receive(body.toString('utf8'), authorization);
    } catch (err) {
      throw new HttpError(
        401,
        'M_UNAUTHORIZED',
        'The webhook could not be verified.',
        `webhook: ${err instanceof Error ? err.message.slice(0, 120) : 'invalid'}`,
      );
    }
    const room = event.room?.name ?? '';
    const identity = event.participant?.identity ?? '';
    const out: ParticipantEvent = { event: event.event, room, identity };
    if (event.event === 'participant_joined') out.signal = 'participant-connected';
    else if (event.event === 'participant_left' || event.event === 'participant_connection_aborted')
      out.signal =
        Number(event.participant?.disconnectReason) === CLIENT_INITIATED
          ? 'left-intentionally'
          : 'connection-aborted';
    return out;
  }
}
