import type { CallMembership } from 'matrix-js-sdk/lib/matrixrtc/index.js';
import { isLivekitTransport, normalizeServiceUrl } from './discovery.js';

/** The fields of a call membership the core uses, read defensively. */
export interface MemberInfo {
  /** The LiveKit identity media keys are mapped to (`rtcBackendIdentity`). */
  identity: string;
  userId: string;
  deviceId: string;
  memberId: string;
  /** lk-jwt-service URL of the SFU this member publishes on, if it named a LiveKit one. */
  serviceUrl: string | undefined;
  createdTs: number;
  expired: boolean;
  /** From the legacy per-user `memberships` list: such clients send no media keys. */
  legacy?: boolean;
}

/**
 * Reads a membership without trusting it: other clients send all sorts of
 * content, and a getter that throws must never break the call. Returns
 * `undefined` for memberships we cannot use.
 */
export function readMembership(
  m: CallMembership,
  oldest: CallMembership | undefined,
): MemberInfo | undefined {
  try {
    const identity = m.rtcBackendIdentity;
    const { userId, deviceId } = m;
    if (typeof identity !== 'string' || !identity) return undefined;
    if (typeof userId !== 'string' || typeof deviceId !== 'string' || !userId || !deviceId)
      return undefined;
    let serviceUrl: string | undefined;
    try {
      const transport: unknown = m.getTransport(oldest ?? m);
      if (isLivekitTransport(transport))
        serviceUrl = normalizeServiceUrl(transport.livekit_service_url);
    } catch {
      serviceUrl = undefined;
    }
    let createdTs = 0;
    try {
      const ts = m.createdTs();
      createdTs = Number.isFinite(ts) ? ts : 0;
    } catch {
      createdTs = 0;
    }
    let expired = false;
    try {
      expired = m.isExpired();
    } catch {
      expired = true;
    }
    let memberId = `${userId}:${deviceId}`;
    try {
      if (typeof m.memberId === 'string' && m.memberId) memberId = m.memberId;
    } catch {
      // keep the legacy default
    }
    return { identity, userId, deviceId, memberId, serviceUrl, createdTs, expired };
  } catch {
    return undefined;
  }
}

/** Valid, unexpired memberships, oldest first, one per identity. */
export function readMemberships(memberships: readonly CallMembership[]): MemberInfo[] {
  const oldest = memberships[0];
  const byIdentity = new Map<string, MemberInfo>();
  for (const m of memberships) {
    const info = readMembership(m, oldest);
    if (!info || info.expired) continue;
    if (!byIdentity.has(info.identity)) byIdentity.set(info.identity, info);
  }
  return [...byIdentity.values()];
}

/** Distinct SFU service URLs other members publish on, excluding ours. */
export function foreignServiceUrls(
  members: readonly MemberInfo[],
  own: string | undefined,
): string[] {
  const urls = new Set<string>();
  for (const m of members) if (m.serviceUrl && m.serviceUrl !== own) urls.add(m.serviceUrl);
  return [...urls];
}

/**
 * MSC4195 hashed identity: unpadded base64 of SHA-256 over the JSON array
 * `[userId, deviceId, memberId]`. `/get_token` grants carry it as `sub`.
 */
export async function hashedRtcIdentity(
  userId: string,
  deviceId: string,
  memberId: string,
): Promise<string> {
  const data = new TextEncoder().encode(JSON.stringify([userId, deviceId, memberId]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, '');
}
