/**
 * Unit tests: LiveKit room alias and identity must equal lk-jwt-service's byte for byte.
 * Expected values for the non-ASCII and escaping cases were produced with Go 1.26's
 * encoding/json + crypto/sha256 + base64.RawStdEncoding (the reference's recipe).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  DEFAULT_SLOT_ID,
  goJsonMarshalStrings,
  legacyLiveKitIdentity,
  liveKitIdentity,
  liveKitRoomAlias,
} from '../../stack/auth-service/hashing.js';
import { decodeUtf8GoStyle } from '../../stack/auth-service/decode.js';

const sha256b64 = (bytes: string | Buffer) =>
  createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '');

void test('MSC4195 identity test vector', () => {
  assert.equal(
    liveKitIdentity('@alice:example.com', 'DEVICE123', 'memberABC'),
    'J+T45tGruxc+HrUOqJJlyQSV33m728Cme4+vt8/SWrU',
  );
});

void test('room alias is unpadded std base64 of sha256 over ["room","m.call#ROOM"]', () => {
  const roomId = '!room:localhost:8008';
  const alias = liveKitRoomAlias(roomId);
  assert.equal(alias, 'AR9g5B15ZsNxdlu21fjs87642vOb7tPw3yw3+a+7P0c'); // from Go
  assert.equal(alias, sha256b64(JSON.stringify([roomId, 'm.call#ROOM'])));
  assert.equal(liveKitRoomAlias(roomId, DEFAULT_SLOT_ID), alias);
  assert.doesNotMatch(alias, /=/);
  assert.equal(alias.length, 43);
  // The slot is part of the hash.
  assert.notEqual(liveKitRoomAlias(roomId, 'm.call#other'), alias);
});

void test('Go json.Marshal escaping of <, >, &, U+2028 and U+2029', () => {
  const values = ['@a<b>&c:example.com', 'DEV<>&', 'm\u2028x\u2029y'];
  assert.equal(
    goJsonMarshalStrings(values).toString('utf8'),
    '["@a\\u003cb\\u003e\\u0026c:example.com","DEV\\u003c\\u003e\\u0026","m\\u2028x\\u2029y"]',
  );
  const identity = liveKitIdentity('@a<b>&c:example.com', 'DEV<>&', 'm\u2028x\u2029y');
  assert.equal(identity, 'UamE7h39pLrBu2lSVUnygjzjGd5SgXpAYVNJmykh7xk'); // from Go
  // JSON.stringify would give a different hash: the escaping matters.
  assert.notEqual(identity, sha256b64(JSON.stringify(values)));
});

void test('control characters, quotes, non-ASCII and lone surrogates match Go', () => {
  // Go: json.Unmarshal of the request text below, then json.Marshal + sha256. Go's decoder
  // turns the lone surrogate escapes into U+FFFD; JSON.parse keeps them.
  const body = '["ctl\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\"\\\\/","é😀","\\udc00\\ud800invalid"]';
  const values = JSON.parse(body) as [string, string, string];
  assert.equal(values[2], '\uDC00\uD800invalid');
  assert.equal(
    goJsonMarshalStrings(values).toString('utf8'),
    '["ctl\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\"\\\\/","é😀","\uFFFD\uFFFDinvalid"]',
  );
  assert.equal(liveKitIdentity(...values), 'sMxLFSkULtl8IDAfpFKyf6JZ2PUq6rtdMm47sg//z2M'); // from Go
});

void test('invalid UTF-8 bytes in a request body hash like Go (one U+FFFD per byte)', () => {
  const body = Buffer.concat([
    Buffer.from('["raw'),
    Buffer.from([0xff, 0xfe, 0xe2, 0x82]),
    Buffer.from('A","d","m"]'),
  ]);
  const values = JSON.parse(decodeUtf8GoStyle(body)) as [string, string, string];
  assert.equal(values[0], 'raw\uFFFD\uFFFD\uFFFD\uFFFDA');
  assert.equal(liveKitIdentity(...values), '7/e/9HEFvB1eM2qDebyaK+Q/jA4Rp9zDi1/8yrwr/+c'); // from Go
});

void test('legacy identity is user:device, unhashed', () => {
  assert.equal(legacyLiveKitIdentity('@a:localhost:8008', 'DEV'), '@a:localhost:8008:DEV');
  assert.equal(legacyLiveKitIdentity('@a:b', ''), '@a:b:');
});
