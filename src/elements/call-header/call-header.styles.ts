import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
  }
  header {
    display: flex;
    align-items: center;
    gap: var(--_gap);
    min-height: 40px;
    padding: 0 4px;
  }
  h2 {
    flex: 1;
    min-width: 0;
    margin: 0;
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
  @media (max-width: 480px) {
    .lock-label {
      display: none;
    }
  }
`;
