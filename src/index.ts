/**
 * matrix-call: an end-to-end-encrypted group call for any web page.
 * This module has no side effects; import `matrix-call/define.js` to register the elements.
 */
import { MatrixCallElement } from './elements/matrix-call/matrix-call.js';

export { MatrixCallElement };
export * from './core/types.js';
export { MatrixCallError } from './core/errors.js';
export type { CallErrorReason, HttpErrorDetails } from './core/errors.js';
export { DiagnosticsLog } from './core/diagnostics.js';
export { loadCallEngine, createCallSession } from './core/load.js';

const elements: ReadonlyArray<readonly [string, CustomElementConstructor]> = [
  ['matrix-call', MatrixCallElement],
];

/** Registers every element, skipping tags that are already defined. */
export function defineElements(registry: CustomElementRegistry = customElements): void {
  for (const [tag, ctor] of elements) {
    if (!registry.get(tag)) registry.define(tag, ctor);
  }
}
