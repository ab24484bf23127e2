import { enCommon, type CallStringKey, type CallStrings } from './en.js';

export { enCommon, type CallStringKey, type CallStrings };

/**
 * English strings registered later, looked up when a table has no entry: the rarely shown
 * views bring theirs (`en-rare.ts`) when they load, so the entry does not carry them.
 */
const fallback: Partial<CallStrings> = {};

/** Adds English strings every translator falls back to (see `fallback`). */
export function addFallbackStrings(strings: Partial<CallStrings>): void {
  Object.assign(fallback, strings);
}

/** Languages beyond English, each loaded on demand as its own chunk. */
const loaders: Readonly<Record<string, () => Promise<{ default: CallStrings }>>> = {
  de: () => import('./de.js'),
};

/** The base language (`de` for `de-AT`) if it ships, else `en`. */
export function baseLanguage(lang: string | undefined): string {
  const base = (lang ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  return base in loaders ? base : 'en';
}

/** The table for `lang`; English (the common strings) when that language does not ship. */
export async function loadStrings(lang: string | undefined): Promise<Partial<CallStrings>> {
  const load = loaders[baseLanguage(lang)];
  return load ? (await load()).default : enCommon;
}

/**
 * Looks up strings in one table and fills `{name}` placeholders. One instance
 * per language and override set; the elements share it through context.
 */
export class Translator {
  readonly lang: string;
  private readonly table: Partial<CallStrings>;
  private readonly plural: Intl.PluralRules;

  constructor(
    lang = 'en',
    table: Partial<CallStrings> = enCommon,
    overrides: Partial<CallStrings> = {},
  ) {
    this.lang = lang;
    this.table = { ...table, ...overrides };
    this.plural = new Intl.PluralRules(lang);
  }

  /** The string for `key`, with `{name}` placeholders replaced from `values`. */
  t(key: CallStringKey, values: Record<string, string | number> = {}): string {
    return (this.table[key] ?? fallback[key] ?? key).replace(/\{(\w+)\}/g, (match, name: string) =>
      name in values ? String(values[name]) : match,
    );
  }

  /** `one` or `other` form by the language's plural rules, with `{count}` filled in. */
  count(one: CallStringKey, other: CallStringKey, count: number): string {
    return this.t(this.plural.select(count) === 'one' ? one : other, { count });
  }
}

/** The English translator, used by elements outside any `<matrix-call>`. */
export const english = new Translator();
