/**
 * Request bodies of the auth service, their decoding schemas and validation, with
 * lk-jwt-service's fields, errcodes and rules (requests.go).
 */
import { DecodeError, decodeStruct, type StructSchema } from './decode.js';
import { HttpError } from './http-error.js';

export interface OpenIdToken {
  access_token: string;
  token_type: string;
  matrix_server_name: string;
  expires_in: number;
}
export interface Member {
  id: string;
  claimed_user_id: string;
  claimed_device_id: string;
}
export interface DelayFields {
  delay_id: string;
  /** Milliseconds. */
  delay_timeout: number;
  /** Accepted and ignored, as by lk-jwt-service: the CS API URL is never taken from a client. */
  delay_cs_api_url: string;
}
/** `POST /sfu/get` (legacy). */
export interface LegacyRequest extends DelayFields {
  room: string;
  openid_token: OpenIdToken;
  device_id: string;
}
/** `POST /get_token`. */
export interface TokenRequest extends DelayFields {
  room_id: string;
  slot_id: string;
  openid_token: OpenIdToken;
  member: Member;
}
/** `POST /delegate_delayed_leave`: the same fields, the delay ones required. */
export type DelegateRequest = TokenRequest;

const OPENID_SCHEMA: StructSchema = {
  access_token: 'string',
  token_type: 'string',
  matrix_server_name: 'string',
  expires_in: 'int',
};
const DELAY_SCHEMA: StructSchema = {
  delay_id: 'string',
  delay_timeout: 'int',
  delay_cs_api_url: 'string',
};
export const LEGACY_SCHEMA: StructSchema = {
  room: 'string',
  openid_token: OPENID_SCHEMA,
  device_id: 'string',
  ...DELAY_SCHEMA,
};
export const TOKEN_SCHEMA: StructSchema = {
  room_id: 'string',
  slot_id: 'string',
  openid_token: OPENID_SCHEMA,
  member: { id: 'string', claimed_user_id: 'string', claimed_device_id: 'string' },
  ...DELAY_SCHEMA,
};
export const DELEGATE_SCHEMA = TOKEN_SCHEMA;

/** Decodes like Go's json.Decoder with DisallowUnknownFields; failures are 400 M_NOT_JSON. */
export function decodeOrThrow(body: Buffer, schema: StructSchema): unknown {
  try {
    return decodeStruct(body, schema);
  } catch (err) {
    const reason = err instanceof DecodeError ? err.message : 'decode failed';
    throw new HttpError(400, 'M_NOT_JSON', 'Error reading request', reason);
  }
}

const badJson = (message: string) => new HttpError(400, 'M_BAD_JSON', message);

function validateOpenId(token: OpenIdToken): void {
  if (!token.access_token || !token.matrix_server_name) {
    throw badJson('openid_token needs access_token and matrix_server_name');
  }
}

function validateDelay(req: DelayFields): void {
  const all = req.delay_id !== '' && req.delay_timeout > 0;
  const any = req.delay_id !== '' || req.delay_timeout > 0;
  if (any && !all) throw badJson('delay_id and delay_timeout must be given together');
}

function validateRoomAndMember(req: TokenRequest): void {
  if (!req.room_id || !req.slot_id) throw badJson('room_id or slot_id is missing');
  const m = req.member;
  if (!m.id || !m.claimed_user_id || !m.claimed_device_id) {
    throw badJson('member needs id, claimed_user_id and claimed_device_id');
  }
  validateOpenId(req.openid_token);
}

export function validateLegacy(req: LegacyRequest): void {
  if (!req.room) throw badJson('room is missing');
  validateOpenId(req.openid_token);
  validateDelay(req);
}

export function validateToken(req: TokenRequest): void {
  validateRoomAndMember(req);
  validateDelay(req);
}

export function validateDelegate(req: DelegateRequest): void {
  validateRoomAndMember(req);
  if (!req.delay_id || req.delay_timeout <= 0) {
    throw badJson('delay_id and a positive delay_timeout are required');
  }
}
