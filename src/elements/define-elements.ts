import { MatrixCallElement } from './matrix-call/matrix-call.js';
import { CallGridElement } from './call-grid/call-grid.js';
import { CallTileElement } from './call-tile/call-tile.js';
import { CallControlsElement } from './call-controls/call-controls.js';

const elements: ReadonlyArray<readonly [string, CustomElementConstructor]> = [
  ['matrix-call', MatrixCallElement],
  ['call-grid', CallGridElement],
  ['call-tile', CallTileElement],
  ['call-controls', CallControlsElement],
];

/** Registers every element, skipping tags that are already defined. */
export function defineElements(registry: CustomElementRegistry = customElements): void {
  for (const [tag, ctor] of elements) {
    if (!registry.get(tag)) registry.define(tag, ctor);
  }
}
