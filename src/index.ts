/**
 * matrix-call: an end-to-end-encrypted group call for any web page.
 * This module has no side effects; import `matrix-call/define.js` to register the elements.
 */
import { MatrixCallElement } from './elements/matrix-call/matrix-call.js';
import { CallGridElement } from './elements/call-grid/call-grid.js';
import { CallTileElement } from './elements/call-tile/call-tile.js';
import { CallControlsElement } from './elements/call-controls/call-controls.js';
import { CallLobbyElement } from './elements/call-lobby/call-lobby.js';
import { CallHeaderElement } from './elements/call-header/call-header.js';
import { CallAudioElement } from './elements/call-audio/call-audio.js';

export {
  MatrixCallElement,
  CallGridElement,
  CallTileElement,
  CallControlsElement,
  CallLobbyElement,
  CallHeaderElement,
  CallAudioElement,
};
export { CallSignInElement } from './elements/call-sign-in/call-sign-in.js';
export { CallFailureElement } from './elements/call-failure/call-failure.js';
export { CallEndedElement } from './elements/call-ended/call-ended.js';
export type { MatrixCallIntent } from './elements/matrix-call/matrix-call.js';
export type { MatrixCallView } from './elements/matrix-call/call-views.js';
export type { CallLayout } from './elements/call-grid/call-grid.js';
export { CallController } from './controller/call-controller.js';
export { TranslatorController } from './controller/translator-controller.js';
export type { CallControllerOptions, JoinOptions } from './controller/call-controller.js';
export { callSessionContext, translatorContext } from './controller/call-context.js';
export * from './events/index.js';
export { Translator } from './i18n/index.js';
export { en as englishStrings } from './i18n/english.js';
export type { CallStrings, CallStringKey } from './i18n/index.js';
export * from './core/types.js';
export { MatrixCallError } from './core/errors.js';
export type { CallErrorReason, HttpErrorDetails } from './core/errors.js';
export { DiagnosticsLog } from './core/diagnostics.js';
export { loadCallEngine, createCallSession } from './core/load.js';
export { defineElements } from './elements/define-elements.js';
