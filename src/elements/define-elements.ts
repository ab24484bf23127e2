import { MatrixCallElement } from './matrix-call/matrix-call.js';

/** Registers every element, skipping tags that are already defined. */
export function defineElements(registry: CustomElementRegistry = customElements): void {
  const elements = { 'matrix-call': MatrixCallElement, ...MatrixCallElement.dependencies };
  for (const [tag, ctor] of Object.entries(elements)) {
    if (!registry.get(tag)) registry.define(tag, ctor);
  }
}
