import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    min-width: 0;
    min-height: 0;
    border-radius: var(--_radius);
  }
  .base {
    position: relative;
    width: 100%;
    height: 100%;
    overflow: hidden;
    border-radius: inherit;
    background: var(--_tile);
    container-type: size;
  }
  :host(:state(speaking)) .base {
    box-shadow:
      0 0 0 3px color-mix(in srgb, var(--_speaking) 55%, transparent),
      0 0 22px 4px color-mix(in srgb, var(--_speaking) 40%, transparent);
  }
  video {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: cover;
    background: #000;
  }
  video.contain {
    object-fit: contain;
  }
  video.mirror {
    transform: scaleX(-1);
  }
  video.waiting {
    opacity: 0;
  }
  .avatar {
    position: absolute;
    inset: 0;
    display: grid;
    place-items: center;
  }
  .avatar > span,
  .avatar > img {
    display: grid;
    place-items: center;
    width: clamp(40px, 35cqmin, 128px);
    aspect-ratio: 1;
    border-radius: 50%;
    color: #fff;
    font-size: clamp(16px, 14cqmin, 52px);
    font-weight: 600;
    object-fit: cover;
  }
  .overlay {
    position: absolute;
    inset: auto 0 0;
    display: flex;
    align-items: center;
    gap: 6px;
    padding: 6px;
    pointer-events: none;
  }
  .pill {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    min-width: 0;
    max-width: 100%;
    padding: 3px 8px;
    border-radius: 999px;
    background: rgb(0 0 0 / 0.62);
    color: #fff;
    font-size: 13px;
    line-height: 18px;
  }
  .pill svg {
    flex: none;
    width: 16px;
    height: 16px;
  }
  .name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .quality {
    margin-inline-start: auto;
    padding: 3px 6px;
  }
  .quality rect {
    fill: rgb(255 255 255 / 0.35);
  }
  .quality rect.on {
    fill: #fff;
  }
  .e2ee {
    position: absolute;
    top: 6px;
    left: 6px;
    right: 6px;
    justify-content: center;
    margin: 0 auto;
    width: fit-content;
  }
  .pin {
    position: absolute;
    top: 6px;
    right: 6px;
    display: grid;
    place-items: center;
    width: 32px;
    height: 32px;
    padding: 0;
    border: 0;
    border-radius: 50%;
    background: rgb(0 0 0 / 0.62);
    color: #fff;
    opacity: 0;
  }
  .base:hover .pin,
  .pin:focus-visible,
  :host(:state(pinned)) .pin {
    opacity: 1;
  }
  .reaction {
    position: absolute;
    top: 6px;
    left: 6px;
    font-size: clamp(24px, 18cqmin, 64px);
    line-height: 1;
  }
  @container (max-width: 150px) {
    .quality,
    .pin {
      display: none;
    }
    .pill {
      font-size: 12px;
    }
  }
`;
