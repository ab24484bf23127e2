import { css } from 'lit';

export const styles = css`
  :host {
    display: flex;
    flex-direction: column;
  }
  .lobby {
    width: min(880px, 100%);
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr));
    gap: calc(var(--_gap) * 3);
    align-items: center;
  }
  .preview {
    position: relative;
    aspect-ratio: 16 / 9;
    overflow: hidden;
    border-radius: var(--_radius);
    background: var(--_tile);
    display: grid;
    place-items: center;
  }
  .preview video {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: cover;
    transform: scaleX(-1);
  }
  .preview-controls {
    position: absolute;
    bottom: var(--_gap);
    display: flex;
    gap: var(--_gap);
  }
  .toggle {
    display: grid;
    place-items: center;
    width: 44px;
    height: 44px;
    padding: 0;
    border: 0;
    border-radius: 50%;
    background: var(--_control);
  }
  .toggle[aria-pressed='false'] {
    background: var(--_control-off);
    color: var(--_control-off-text);
  }
  meter {
    width: 100%;
  }
  .side {
    display: flex;
    flex-direction: column;
    gap: calc(var(--_gap) * 1.5);
  }
  .members {
    display: flex;
    align-items: center;
    gap: var(--_gap);
    font-size: 14px;
  }
  .faces {
    display: flex;
  }
  .faces > * {
    display: grid;
    place-items: center;
    width: 30px;
    height: 30px;
    margin-inline-start: -6px;
    border: 2px solid var(--_surface);
    border-radius: 50%;
    color: #fff;
    font-size: 12px;
    font-weight: 600;
    object-fit: cover;
  }
  .faces > :first-child {
    margin-inline-start: 0;
  }
`;
