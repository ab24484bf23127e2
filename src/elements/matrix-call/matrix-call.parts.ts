import { TILE_PART_NAMES } from '../call-grid/call-grid.js';

/** `exportparts` that re-export a child's parts, optionally renamed or prefixed. */
const exported = (parts: string[], prefix = '') =>
  parts.map((p) => (p.includes(':') ? p : `${p}:${prefix}${p}`)).join(', ');

/** The parts of `<matrix-call>`'s children, re-exported so `matrix-call::part(…)` reaches them. */
export const lobbyParts = exported(['base:lobby', 'preview', 'level', 'join-button']);
export const headerParts = exported(['base:header', 'room-name', 'participant-count', 'e2ee-lock']);
export const controlsParts = exported(
  [
    'base',
    'button',
    'microphone-button',
    'camera-button',
    'screen-share-button',
    'device-button',
    'device-menu',
    'reactions-button',
    'reactions-menu',
    'raise-hand-button',
    'reaction-button',
    'leave-button',
  ],
  'controls__',
);
export const gridParts = exported([
  'tile',
  'pip',
  'spotlight',
  'filmstrip',
  'pagination',
  'empty',
  ...TILE_PART_NAMES.map((p) => `tile__${p}`),
  'base:grid__base',
]);
