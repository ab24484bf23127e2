import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  .base {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: center;
    gap: var(--_gap);
  }
  .split {
    position: relative;
    display: inline-flex;
    border-radius: 999px;
  }
  .control {
    position: relative;
    display: grid;
    place-items: center;
    width: 48px;
    height: 48px;
    padding: 0;
    border: 0;
    border-radius: 999px;
    background: var(--_control);
  }
  .split .control:first-child {
    border-radius: 999px 0 0 999px;
  }
  .control.more {
    width: 28px;
    border-radius: 0 999px 999px 0;
    margin-inline-start: 1px;
  }
  .mute[aria-pressed='false'] {
    background: var(--_control-off);
    color: var(--_control-off-text);
  }
  .share[aria-pressed='true'] {
    background: var(--_accent);
    color: var(--_on-accent);
  }
  .control.leave {
    width: auto;
    padding: 0 20px;
    gap: 6px;
    display: inline-flex;
    background: var(--_danger);
    color: var(--_on-danger);
    font-weight: 600;
  }
  .panel {
    position: fixed;
    inset: auto;
    margin: 0;
    width: min(320px, 92vw);
    padding: 12px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
    box-shadow: 0 8px 28px rgb(0 0 0 / 0.3);
    font: 14px var(--_font);
  }
  label + label {
    margin-top: 10px;
  }
  @media (max-width: 420px) {
    .control {
      width: 44px;
      height: 44px;
    }
    .control.more {
      width: 24px;
    }
    /* Hidden from view, not from screen readers: the label names the button. */
    .leave span {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
    .share[aria-pressed='true'] {
      background: var(--_accent);
      color: var(--_on-accent);
    }
    .control.leave {
      padding: 0 14px;
    }
  }
`;
