import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  baseLanguage,
  enCommon,
  loadStrings,
  Translator,
  type CallStrings,
} from '../i18n/index.js';

export interface TranslatorControllerOptions {
  /** The language asked for; empty means the nearest `lang` in the page. */
  lang: () => string;
  /** The page's replacements for single strings. */
  strings: () => Partial<CallStrings>;
  /** A new translator is ready (its language may have loaded on demand). */
  onChange: (translator: Translator) => void;
}

/**
 * The host's strings: English at once, other languages once their chunk has
 * loaded. Call `update()` when the language or the overrides change; a late
 * answer for a language no longer wanted is dropped.
 */
export class TranslatorController implements ReactiveController {
  #request = 0;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly options: TranslatorControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.update();
  }

  update(): void {
    const { lang: wanted, strings, onChange } = this.options;
    const lang = wanted() || this.host.closest('[lang]')?.getAttribute('lang') || 'en';
    const request = ++this.#request;
    const base = baseLanguage(lang);
    if (base === 'en') {
      onChange(new Translator(lang, enCommon, strings()));
      return;
    }
    void loadStrings(base).then((table) => {
      if (request === this.#request) onChange(new Translator(lang, table, strings()));
    });
  }
}
