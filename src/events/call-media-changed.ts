/** Fired when the local microphone, camera or screen share turns on or off. */
export class CallMediaChangedEvent extends Event {
  readonly microphoneEnabled: boolean;
  readonly cameraEnabled: boolean;
  readonly screenShareEnabled: boolean;
  constructor(media: {
    microphoneEnabled: boolean;
    cameraEnabled: boolean;
    screenShareEnabled: boolean;
  }) {
    super('call-media-changed', { bubbles: true, composed: true });
    this.microphoneEnabled = media.microphoneEnabled;
    this.cameraEnabled = media.cameraEnabled;
    this.screenShareEnabled = media.screenShareEnabled;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-media-changed': CallMediaChangedEvent;
  }
}
