/**
 * Request-body decoding with the observable behaviour of lk-jwt-service, which uses
 * Go's `json.NewDecoder(body)` with `DisallowUnknownFields()` on fixed structs:
 *  - only the first JSON value is read; anything after it is ignored;
 *  - `null` (as the whole body or as a field) leaves the zero value;
 *  - keys match struct fields exactly, or else case-insensitively;
 *  - an unknown key, or a value of the wrong JSON type, is a decode error;
 *  - invalid UTF-8 inside strings becomes U+FFFD, one per bad byte.
 * Any decode error is answered by the caller with 400 `M_NOT_JSON`.
 */

export type FieldType = 'string' | 'int' | StructSchema;
export interface StructSchema {
  readonly [jsonName: string]: FieldType;
}

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Go's `int` is 64-bit: integers in [-2^63, 2^63). */
const GO_INT_LIMIT = 2 ** 63;

/** Decode UTF-8 the way Go's JSON decoder does: each invalid byte becomes one U+FFFD. */
export function decodeUtf8GoStyle(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Slow path below, only for bodies that are not valid UTF-8.
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const [codePoint, size] = decodeRune(bytes, i);
    out += codePoint < 0 ? '\uFFFD' : String.fromCodePoint(codePoint);
    i += size;
  }
  return out;
}

function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return [b0, 1];
  let need: number;
  let cp: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 1;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    cp = b0 & 0x07;
  } else {
    return [-1, 1];
  }
  // Second-byte ranges exclude overlong forms, surrogates and code points above U+10FFFF.
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 === 0xe0) lo = 0xa0;
  else if (b0 === 0xed) hi = 0x9f;
  else if (b0 === 0xf0) lo = 0x90;
  else if (b0 === 0xf4) hi = 0x8f;
  for (let k = 1; k <= need; k++) {
    const c = b[i + k];
    if (c === undefined) return [-1, 1];
    if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return [-1, 1];
    cp = (cp << 6) | (c & 0x3f);
  }
  return [cp, need + 1];
}

/** The text of the first JSON value in `text` (Go's Decoder ignores what follows it). */
export function firstJsonValue(text: string): string {
  let start = 0;
  while (start < text.length && ' \t\r\n'.includes(text.charAt(start))) start++;
  const first = text.charAt(start);
  if (first === '{' || first === '[') {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charAt(i);
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') {
        inString = true;
      } else if (c === '{' || c === '[') {
        depth++;
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return text.slice(start, i + 1);
      }
    }
    return text.slice(start); // unterminated: JSON.parse reports it
  }
  if (text.startsWith('null', start)) return 'null';
  return text.slice(start);
}

function findField(schema: StructSchema, key: string): string | undefined {
  if (Object.hasOwn(schema, key)) return key;
  const lower = key.toLowerCase();
  return Object.keys(schema).find((name) => name.toLowerCase() === lower);
}

function zeroValue(type: FieldType): unknown {
  if (type === 'string') return '';
  if (type === 'int') return 0;
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(type)) out[name] = zeroValue(t);
  return out;
}

function decodeValue(value: unknown, type: FieldType, path: string, current: unknown): unknown {
  if (value === null) return current; // Go leaves the existing (zero) value
  if (type === 'string') {
    if (typeof value !== 'string') throw new DecodeError(`${path}: expected a string`);
    return value;
  }
  if (type === 'int') {
    if (
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < -GO_INT_LIMIT ||
      value >= GO_INT_LIMIT
    ) {
      throw new DecodeError(`${path}: expected an integer`);
    }
    return value;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new DecodeError(`${path || 'body'}: expected an object`);
  }
  const out = current as Record<string, unknown>;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = findField(type, key);
    if (field === undefined) throw new DecodeError(`unknown field ${JSON.stringify(key)}`);
    const fieldType = type[field];
    if (fieldType === undefined) throw new DecodeError(`unknown field ${JSON.stringify(key)}`);
    out[field] = decodeValue(v, fieldType, path ? `${path}.${field}` : field, out[field]);
  }
  return out;
}

/** Decode a request body into a struct described by `schema`, or throw `DecodeError`. */
export function decodeStruct(body: Uint8Array, schema: StructSchema): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(firstJsonValue(decodeUtf8GoStyle(body)));
  } catch {
    throw new DecodeError('body is not valid JSON');
  }
  return decodeValue(parsed, schema, '', zeroValue(schema));
}
