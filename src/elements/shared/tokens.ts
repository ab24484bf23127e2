import { css } from 'lit';

/**
 * The design tokens. Each public `--matrix-call-*` property falls back to a
 * default that follows the colour scheme (`light-dark()`), so the same rules
 * serve the light and the dark theme; `<matrix-call theme>` sets the scheme.
 * Every element includes this, so a page's values set on `<matrix-call>` (or
 * any ancestor) reach every tile and button inside it.
 */
export const tokens = css`
  :host {
    --_font: var(--matrix-call-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_bg: var(--matrix-call-background, light-dark(#f3f5f8, #101317));
    --_surface: var(--matrix-call-surface, light-dark(#ffffff, #1b1f24));
    --_tile: var(--matrix-call-tile-background, light-dark(#dfe4ea, #262b32));
    --_text: var(--matrix-call-text, light-dark(#16191d, #eef1f4));
    --_muted: var(--matrix-call-text-secondary, light-dark(#545d69, #a8b1bc));
    --_border: var(--matrix-call-border, light-dark(#c9d0d8, #3a4049));
    --_accent: var(--matrix-call-accent, light-dark(#0b6e4f, #3fd69f));
    --_on-accent: var(--matrix-call-on-accent, light-dark(#ffffff, #06261b));
    --_danger: var(--matrix-call-danger, light-dark(#c11f1f, #ff8a80));
    --_on-danger: var(--matrix-call-on-danger, light-dark(#ffffff, #3b0404));
    --_control: var(--matrix-call-control-background, light-dark(#e3e7ec, #2c3138));
    --_control-off: var(--matrix-call-control-off-background, light-dark(#16191d, #eef1f4));
    --_control-off-text: var(--matrix-call-control-off-text, light-dark(#ffffff, #16191d));
    --_speaking: var(--matrix-call-speaking, light-dark(#0b6e4f, #3fd69f));
    --_focus: var(--matrix-call-focus-ring, light-dark(#0a58ca, #8ab4ff));
    --_radius: var(--matrix-call-radius, 12px);
    --_gap: var(--matrix-call-spacing, 8px);
    font-family: var(--_font);
    color: var(--_text);
  }
  [hidden] {
    display: none !important;
  }
  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  button {
    font: inherit;
    color: inherit;
    cursor: pointer;
  }
  button:disabled {
    opacity: 0.6;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-size: 14px;
    font-weight: 600;
  }
  input,
  select {
    min-height: 40px;
    padding: 0 10px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
    font-weight: 400;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-height: 40px;
    padding: 0 18px;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_surface);
    font-weight: 600;
  }
  .btn.primary {
    border-color: transparent;
    background: var(--_accent);
    color: var(--_on-accent);
  }
  .tip {
    position: absolute;
    z-index: 3;
    bottom: calc(100% + 8px);
    left: 50%;
    translate: -50% 0;
    width: max-content;
    max-width: 260px;
    padding: 6px 10px;
    border-radius: 6px;
    background: var(--_text);
    color: var(--_surface);
    font-size: 13px;
    font-weight: 400;
    line-height: 1.35;
    pointer-events: none;
    opacity: 0;
  }
  :hover > .tip,
  :focus-visible > .tip {
    opacity: 1;
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      animation-duration: 0s !important;
      transition-duration: 0s !important;
    }
  }
`;
