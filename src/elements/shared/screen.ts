import { css } from 'lit';

/**
 * Layout shared by the full-size screens (lobby, sign-in, errors, "you left"): a centred
 * card, headings, secondary text, the spinner and banners.
 */
export const screen = css`
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
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_gap);
  }
`;

/** The host of a screen that is a card of its own (sign-in, failure, ended). */
export const screenHost = css`
  :host {
    display: flex;
    flex-direction: column;
  }
`;
