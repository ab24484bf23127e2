import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    min-height: 0;
    overflow: hidden;
  }
  .base {
    position: absolute;
    inset: 0;
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
  }
  .stage {
    position: relative;
    flex: 1;
    min-height: 0;
  }
  .stage > call-tile {
    position: absolute;
    transition:
      left 0.2s,
      top 0.2s,
      width 0.2s,
      height 0.2s;
  }
  .fill {
    position: absolute;
    inset: 0;
  }
  .pip {
    position: absolute;
    z-index: 2;
    width: clamp(96px, 24%, 240px);
    aspect-ratio: 4 / 3;
    border-radius: var(--_radius);
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.35);
    cursor: grab;
    touch-action: none;
    margin: var(--_gap);
  }
  .pip call-tile {
    width: 100%;
    height: 100%;
  }
  .pip.dragging {
    cursor: grabbing;
  }
  .pip.t {
    top: 0;
  }
  .pip.b {
    /* above the big tile's name and connection pills, which it would hide */
    bottom: 34px;
  }
  .pip.l {
    left: 0;
  }
  .pip.r {
    right: 0;
  }
  .empty {
    position: absolute;
    z-index: 1;
    top: 50%;
    left: 50%;
    translate: -50% -50%;
    padding: 10px 16px;
    border-radius: 999px;
    background: rgb(0 0 0 / 0.62);
    color: #fff;
    text-align: center;
  }
  .spotlight {
    flex-direction: row;
  }
  .spotlight.below {
    flex-direction: column;
  }
  .filmstrip {
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    flex: none;
    width: clamp(140px, 20%, 240px);
    overflow-y: auto;
    scrollbar-width: thin;
  }
  .below .filmstrip {
    flex-direction: row;
    width: auto;
    height: clamp(72px, 18%, 140px);
    overflow: auto hidden;
  }
  .filmstrip call-tile {
    flex: none;
    aspect-ratio: 16 / 9;
  }
  .below .filmstrip call-tile {
    height: 100%;
  }
  .pagination {
    display: flex;
    align-items: center;
    justify-content: center;
    gap: var(--_gap);
    font-size: 14px;
  }
  .pagination button {
    display: grid;
    place-items: center;
    width: 36px;
    height: 36px;
    padding: 0;
    border: 0;
    border-radius: 50%;
    background: var(--_control);
  }
`;
