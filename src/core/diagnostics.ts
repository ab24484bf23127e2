/** What part of the call an entry is about. */
export type DiagnosticsCategory =
  | 'session'
  | 'matrix'
  | 'discovery'
  | 'auth'
  | 'membership'
  | 'keys'
  | 'livekit'
  | 'media'
  | 'e2ee'
  | 'reactions';

export type DiagnosticsLevel = 'debug' | 'info' | 'warn' | 'error';

export type DiagnosticsValue = string | number | boolean | null;

export interface DiagnosticsEntry {
  /** ms since epoch */
  readonly time: number;
  readonly category: DiagnosticsCategory;
  readonly level: DiagnosticsLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, DiagnosticsValue>> | undefined;
}

const REDACTED = '[redacted]';

/**
 * Shapes that are secret wherever they appear, even if nobody registered them:
 * JWTs, Synapse access tokens, and token-bearing query parameters.
 */
const secretPatterns: readonly RegExp[] = [
  /eyJ[\w-]+\.[\w-]+\.[\w-]+/g,
  /\bsy[td]_[\w-]+/g,
  /((?:access_token|token|jwt)=)[^&\s"']+/gi,
];

/** Fields whose values are secret by name, whatever they hold. */
const secretFieldNames = /token|jwt|secret|password|key$|^key|authorization/i;

/** The first bytes of a SHA-256, as hex: enough to tell keys apart, useless to an attacker. */
export async function fingerprint(bytes: BufferSource | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(digest.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface DiagnosticsLogOptions {
  /** Entries kept; older ones are dropped first. */
  capacity?: number;
  /** Echo entries to the console (already redacted). */
  console?: boolean;
}

/**
 * A bounded, redacting, structured log of what the call did. It is what
 * "copy diagnostics" exports, so nothing secret may survive into it.
 */
export class DiagnosticsLog {
  readonly #entries: DiagnosticsEntry[] = [];
  readonly #secrets = new Set<string>();
  readonly #capacity: number;
  readonly #listeners = new Set<(entry: DiagnosticsEntry) => void>();
  echoToConsole: boolean;

  constructor(options: DiagnosticsLogOptions = {}) {
    this.#capacity = options.capacity ?? 2000;
    this.echoToConsole = options.console ?? false;
  }

  /** Remember a secret so every later entry that contains it is redacted. */
  addSecret(value: string | undefined): void {
    // Short values would redact ordinary words; real tokens are long.
    if (value && value.length >= 8) this.#secrets.add(value);
  }

  /** Redacts `text`; anything else (libraries log Errors and objects too) is stringified first. */
  redact(text: unknown): string {
    let out =
      typeof text === 'string'
        ? text
        : text instanceof Error
          ? `${text.name}: ${text.message}`
          : safeStringify(text);
    for (const secret of this.#secrets) out = out.split(secret).join(REDACTED);
    for (const pattern of secretPatterns) {
      out = out.replace(pattern, (match, prefix?: string) =>
        typeof prefix === 'string' && match.startsWith(prefix) ? prefix + REDACTED : REDACTED,
      );
    }
    return out;
  }

  log(
    category: DiagnosticsCategory,
    level: DiagnosticsLevel,
    message: unknown,
    fields?: Record<string, unknown>,
  ): DiagnosticsEntry {
    const entry: DiagnosticsEntry = {
      time: Date.now(),
      category,
      level,
      message: this.redact(message),
      fields: fields ? this.#cleanFields(fields) : undefined,
    };
    this.#entries.push(entry);
    if (this.#entries.length > this.#capacity)
      this.#entries.splice(0, this.#entries.length - this.#capacity);
    if (this.echoToConsole) this.#echo(entry);
    for (const listener of this.#listeners) listener(entry);
    return entry;
  }

  debug(category: DiagnosticsCategory, message: string, fields?: Record<string, unknown>) {
    return this.log(category, 'debug', message, fields);
  }
  info(category: DiagnosticsCategory, message: string, fields?: Record<string, unknown>) {
    return this.log(category, 'info', message, fields);
  }
  warn(category: DiagnosticsCategory, message: string, fields?: Record<string, unknown>) {
    return this.log(category, 'warn', message, fields);
  }
  error(category: DiagnosticsCategory, message: string, fields?: Record<string, unknown>) {
    return this.log(category, 'error', message, fields);
  }

  /** Entries so far, oldest first, optionally for one category. */
  list(category?: DiagnosticsCategory): readonly DiagnosticsEntry[] {
    return category ? this.#entries.filter((e) => e.category === category) : [...this.#entries];
  }

  onEntry(listener: (entry: DiagnosticsEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The whole log as pretty JSON, for "copy diagnostics". */
  export(context: Record<string, unknown> = {}): string {
    const doc = {
      exportedAt: new Date().toISOString(),
      userAgent: (globalThis.navigator as Navigator | undefined)?.userAgent,
      ...context,
      entries: this.#entries.map((e) => ({ ...e, time: new Date(e.time).toISOString() })),
    };
    return this.redact(JSON.stringify(doc, null, 2));
  }

  clear(): void {
    this.#entries.length = 0;
  }

  #cleanFields(fields: Record<string, unknown>): Record<string, DiagnosticsValue> {
    const out: Record<string, DiagnosticsValue> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      if (secretFieldNames.test(name) && !/fingerprint|index|count|ms$/i.test(name)) {
        out[name] = REDACTED;
      } else if (value === null || typeof value === 'number' || typeof value === 'boolean') {
        out[name] = value;
      } else if (typeof value === 'string') {
        out[name] = this.redact(value);
      } else if (value instanceof Error) {
        out[name] = this.redact(`${value.name}: ${value.message}`);
      } else {
        out[name] = this.redact(safeStringify(value));
      }
    }
    return out;
  }

  #echo(entry: DiagnosticsEntry): void {
    const line = `[matrix-call:${entry.category}] ${entry.message}`;
    const method = entry.level === 'debug' ? 'debug' : entry.level;
    if (entry.fields) console[method](line, entry.fields);
    else console[method](line);
  }
}

function safeStringify(value: unknown): string {
  try {
    // JSON.stringify returns undefined for functions and symbols, whatever its type says.
    const json = JSON.stringify(value) as string | undefined;
    return json ?? String(value);
  } catch {
    return String(value);
  }
}
