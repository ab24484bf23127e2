import { svg, type SVGTemplateResult } from 'lit';

/** A 24×24 outline icon; decorative (the control around it carries the name). */
const icon = (paths: SVGTemplateResult) =>
  svg`<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${paths}</svg>`;

const slash = svg`<path d="M3 3l18 18"/>`;
const micPaths = svg`<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>`;
const cameraPaths = svg`<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3"/>`;

export const icons = {
  mic: icon(micPaths),
  micOff: icon(svg`${micPaths}${slash}`),
  camera: icon(cameraPaths),
  cameraOff: icon(svg`${cameraPaths}${slash}`),
  screen: icon(
    svg`<rect x="3" y="4" width="18" height="13" rx="2"/><path d="M8 21h8M12 17v4M9 10l3-3 3 3M12 7v6"/>`,
  ),
  leave: icon(
    svg`<path d="M3 14.5c5-5 13-5 18 0l-2.5 2.5-3-1.5v-2.5a9 9 0 0 0-7 0v2.5l-3 1.5z" fill="currentColor"/>`,
  ),
  lock: icon(
    svg`<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>`,
  ),
  lockOpen: icon(
    svg`<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 7.5-2"/>`,
  ),
  chevronUp: icon(svg`<path d="M6 15l6-6 6 6"/>`),
  chevronLeft: icon(svg`<path d="M15 6l-6 6 6 6"/>`),
  chevronRight: icon(svg`<path d="M9 6l6 6-6 6"/>`),
  pin: icon(svg`<path d="M9 3h6l-1 6 4 4H6l4-4zM12 13v8"/>`),
  users: icon(
    svg`<circle cx="9" cy="8" r="4"/><path d="M2 21a7 7 0 0 1 14 0M16 4a4 4 0 0 1 0 8M22 21a7 7 0 0 0-4-6"/>`,
  ),
  warning: icon(svg`<path d="M12 3l10 18H2zM12 10v4M12 17.5v.5"/>`),
};
