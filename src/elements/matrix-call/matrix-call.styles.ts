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
  call-lobby {
    flex: 1;
  }
  .call {
    flex: 1;
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    min-height: 0;
    padding: var(--_gap);
  }
  call-grid {
    flex: 1;
  }
`;
