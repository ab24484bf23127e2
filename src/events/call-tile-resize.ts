/** Fired by a tile when its video's intrinsic aspect ratio changes, so layouts can fit it. */
export class CallTileResizeEvent extends Event {
  /** `videoWidth / videoHeight`. */
  readonly aspectRatio: number;
  constructor(aspectRatio: number) {
    super('call-tile-resize', { bubbles: true, composed: true });
    this.aspectRatio = aspectRatio;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-tile-resize': CallTileResizeEvent;
  }
}
