/**
 * LiveKit room alias and participant identity, computed the way lk-jwt-service
 * computes them, byte for byte.
 *
 * The reference hashes the output of Go's `json.Marshal([]string{...})`. That
 * differs from `JSON.stringify` in three ways, all replicated here:
 *  - `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026` (HTML-safe escaping);
 *  - U+2028 and U+2029 are written as `\u2028` and `\u2029`;
 *  - Go strings are bytes, so a lone UTF-16 surrogate (which `JSON.parse` keeps but
 *    Go's decoder turns into U+FFFD) is marshalled as U+FFFD.
 * Everything else (`\b \f \n \r \t \" \\`, `\u00XX` with lowercase hex for other
 * control characters, `/` and DEL unescaped) is identical in both.
 */
import { createHash } from 'node:crypto';

/** The only MatrixRTC slot Element Call uses, and the one `/sfu/get` implies. */
export const DEFAULT_SLOT_ID = 'm.call#ROOM';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const GO_EXTRA_ESCAPES = /[<>&\u2028\u2029]/g;

/** `json.Marshal` of a Go `[]string`, as UTF-8 bytes. */
export function goJsonMarshalStrings(values: readonly string[]): Buffer {
  const json = JSON.stringify(values.map((v) => v.replace(LONE_SURROGATE, '\uFFFD'))).replace(
    GO_EXTRA_ESCAPES,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return Buffer.from(json, 'utf8');
}

/** Unpadded standard base64 of SHA-256 over Go's JSON encoding of `values`. */
export function hashStrings(values: readonly string[]): string {
  return createHash('sha256')
    .update(goJsonMarshalStrings(values))
    .digest('base64')
    .replace(/=+$/, '');
}

/** LiveKit room name for a (Matrix room ID, MatrixRTC slot) pair. */
export function liveKitRoomAlias(matrixRoomId: string, slotId: string = DEFAULT_SLOT_ID): string {
  return hashStrings([matrixRoomId, slotId]);
}

/** LiveKit identity on `/get_token` (MSC4195): hash of user ID, device ID and member ID. */
export function liveKitIdentity(userId: string, deviceId: string, memberId: string): string {
  return hashStrings([userId, deviceId, memberId]);
}

/** LiveKit identity on the legacy `/sfu/get`: `<user ID>:<device ID>`, unhashed. */
export function legacyLiveKitIdentity(userId: string, deviceId: string): string {
  return `${userId}:${deviceId}`;
}
