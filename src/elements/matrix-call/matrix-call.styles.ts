import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    height: 100%;
    min-height: 420px;
    overflow: hidden;
    color-scheme: light dark;
    border-radius: var(--_radius);
    background: var(--_bg);
    font-size: 15px;
    line-height: 1.4;
  }
  :host([theme='light']) {
    color-scheme: light;
  }
  :host([theme='dark']) {
    color-scheme: dark;
  }
  .base {
    position: absolute;
    inset: 0;
    display: flex;
    flex-direction: column;
    overflow: auto;
  }
  .center {
    display: grid;
    place-items: center;
    flex: 1;
    padding: calc(var(--_gap) * 2);
  }
  .card {
    display: flex;
    flex-direction: column;
    gap: calc(var(--_gap) * 1.5);
    width: min(440px, 100%);
    padding: calc(var(--_gap) * 3);
    border-radius: var(--_radius);
    background: var(--_surface);
    box-shadow: 0 1px 3px rgb(0 0 0 / 0.12);
  }
  h2 {
    margin: 0;
    font-size: 20px;
  }
  p {
    margin: 0;
  }
  code {
    padding: 0 3px;
    border-radius: 4px;
    background: var(--_control);
    font-size: 0.9em;
    overflow-wrap: anywhere;
  }
  .muted {
    color: var(--_muted);
  }
  .spinner {
    width: 36px;
    height: 36px;
    border: 4px solid var(--_control);
    border-top-color: var(--_accent);
    border-radius: 50%;
    animation: spin 0.9s linear infinite;
  }
  @keyframes spin {
    to {
      rotate: 360deg;
    }
  }
  .status {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 14px;
    color: var(--_muted);
  }
  .pending {
    visibility: hidden;
  }
  /* lobby */
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
  /* in call */
  .call {
    flex: 1;
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    min-height: 0;
    padding: var(--_gap);
  }
  header {
    display: flex;
    align-items: center;
    gap: var(--_gap);
    min-height: 40px;
    padding: 0 4px;
  }
  header h2 {
    flex: 1;
    min-width: 0;
    font-size: 16px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .chip {
    position: relative;
    display: inline-flex;
    align-items: center;
    gap: 6px;
    min-height: 32px;
    padding: 0 10px;
    border: 0;
    border-radius: 999px;
    background: var(--_control);
    font-size: 14px;
  }
  .chip svg {
    width: 16px;
    height: 16px;
  }
  .lock.none {
    background: var(--_danger);
    color: var(--_on-danger);
  }
  .lock .tip {
    top: calc(100% + 8px);
    bottom: auto;
    left: auto;
    right: 0;
    translate: none;
    text-align: start;
  }
  call-grid {
    flex: 1;
  }
  .banner {
    display: flex;
    align-items: center;
    gap: var(--_gap);
    padding: 8px 12px;
    border-radius: 8px;
    background: var(--_surface);
    border-inline-start: 4px solid var(--_danger);
  }
  .banner p {
    flex: 1;
  }
  .banner.info {
    border-color: var(--_accent);
  }
  @media (max-width: 480px) {
    .lock-label {
      display: none;
    }
  }
`;
