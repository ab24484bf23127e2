/** Unit tests: request decoding mirrors Go's json.Decoder with DisallowUnknownFields. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DecodeError,
  decodeStruct,
  decodeUtf8GoStyle,
  type StructSchema,
} from '../../stack/auth-service/decode.js';
import { parseOverrides } from '../../stack/auth-service/config.js';

const schema: StructSchema = {
  room: 'string',
  n: 'int',
  inner: { id: 'string' },
};
const decode = (text: string) => decodeStruct(Buffer.from(text), schema) as Record<string, unknown>;

void test('zero values for absent and null fields; null body is an empty struct', () => {
  assert.deepEqual(decode('{}'), { room: '', n: 0, inner: { id: '' } });
  assert.deepEqual(decode('{"room":null,"inner":null}'), { room: '', n: 0, inner: { id: '' } });
  assert.deepEqual(decode('null'), { room: '', n: 0, inner: { id: '' } });
});

void test('keys match exactly, else case-insensitively', () => {
  assert.deepEqual(decode('{"ROOM":"r","Inner":{"ID":"x"}}'), {
    room: 'r',
    n: 0,
    inner: { id: 'x' },
  });
});

void test('unknown fields, wrong types and non-JSON are errors', () => {
  for (const body of [
    '{"room":"r","extra":1}',
    '{"inner":{"id":"x","extra":true}}',
    '{"room":5}',
    '{"n":"5"}',
    '{"n":1.5}',
    '{"inner":"x"}',
    '[]',
    '"str"',
    '',
    'not json',
    '{"room":',
  ]) {
    assert.throws(() => decode(body), DecodeError, body);
  }
});

void test('only the first JSON value is read (trailing data ignored, like Go)', () => {
  assert.deepEqual(decode('{"room":"a}"} trailing {garbage'), {
    room: 'a}',
    n: 0,
    inner: { id: '' },
  });
});

void test('invalid UTF-8 becomes one U+FFFD per bad byte', () => {
  assert.equal(decodeUtf8GoStyle(Buffer.from([0x61, 0xff, 0xfe, 0x62])), 'a\uFFFD\uFFFDb');
  // Truncated 3-byte sequence: Go replaces each byte (WHATWG would give one U+FFFD).
  assert.equal(decodeUtf8GoStyle(Buffer.from([0xe2, 0x82, 0x41])), '\uFFFD\uFFFDA');
  // Encoded surrogate (ED A0 80) is invalid in Go too.
  assert.equal(decodeUtf8GoStyle(Buffer.from([0xed, 0xa0, 0x80])), '\uFFFD\uFFFD\uFFFD');
  assert.equal(decodeUtf8GoStyle(Buffer.from('é😀', 'utf8')), 'é😀');
});

void test('override map syntax server=url,server2=url2', () => {
  const map = parseOverrides(' localhost:8008=http://127.0.0.1:8008 , other.example=http://x ');
  assert.deepEqual(Object.fromEntries(map), {
    'localhost:8008': 'http://127.0.0.1:8008',
    'other.example': 'http://x',
  });
  assert.throws(() => parseOverrides('no-equals-sign'));
  assert.equal(parseOverrides(undefined).size, 0);
});
