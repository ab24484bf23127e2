import { html } from 'lit';

/** Hints quote settings in `backticks`: show those as code. */
export const rich = (text = '') =>
  text.split('`').map((part, i) => (i % 2 ? html`<code>${part}</code>` : part));
