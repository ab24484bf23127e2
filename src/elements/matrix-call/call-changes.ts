import type { CallParticipant, CallSnapshot } from '../../core/types.js';
import type { Translator } from '../../i18n/index.js';
import { CallJoinedEvent } from '../../events/call-joined.js';
import { CallLeftEvent, type CallLeftReason } from '../../events/call-left.js';
import { CallParticipantJoinedEvent } from '../../events/call-participant-joined.js';
import { CallParticipantLeftEvent } from '../../events/call-participant-left.js';
import { CallStateChangedEvent } from '../../events/call-state-changed.js';
import { CallMediaChangedEvent } from '../../events/call-media-changed.js';

/** Phases that keep the call on screen. */
export const inCallPhases = new Set(['connected', 'reconnecting']);

/** What changed between two snapshots, as the page hears it. */
export interface CallChanges {
  /** The public events to fire, in order. */
  events: Event[];
  /** What the live region should read out, last one wins. */
  announcements: string[];
  inCall: boolean;
  /** Set when we left the call in this change: by choice (`user`) or by failure (`error`). */
  left: CallLeftReason | undefined;
}

const remotes = (s: CallSnapshot, inCall: boolean) =>
  new Map<string, CallParticipant>(
    inCall ? s.participants.filter((p) => !p.isLocal).map((p) => [p.id, p]) : [],
  );

/**
 * Derives the events and announcements between two snapshots: each fires once, on the
 * real change only, never on a re-render.
 */
export function callChanges(
  previous: CallSnapshot,
  s: CallSnapshot,
  wasInCall: boolean,
  t: Translator,
): CallChanges {
  const events: Event[] = [];
  const announcements: string[] = [];
  let inCall = wasInCall;
  let left: CallLeftReason | undefined;
  if (s.phase !== previous.phase) {
    events.push(new CallStateChangedEvent(s.phase, previous.phase));
    if (s.phase === 'connected' && !inCall) {
      inCall = true;
      events.push(new CallJoinedEvent());
      announcements.push(t.t('youJoined'));
    } else if (inCall && (s.phase === 'idle' || s.phase === 'ended' || s.phase === 'failed')) {
      inCall = false;
      left = s.phase === 'failed' ? 'error' : 'user';
      events.push(new CallLeftEvent(left));
      if (left === 'user') announcements.push(t.t('callEnded'));
    }
  }
  const before = remotes(previous, wasInCall);
  const after = remotes(s, inCall);
  for (const [id, p] of after) {
    if (before.has(id)) continue;
    events.push(new CallParticipantJoinedEvent(p));
    if (wasInCall) announcements.push(t.t('joined', { name: p.displayName }));
  }
  for (const [id, p] of after) {
    const was = before.get(id);
    if (!was) continue;
    if ((was.handRaisedAt === undefined) !== (p.handRaisedAt === undefined))
      announcements.push(
        t.t(p.handRaisedAt === undefined ? 'loweredHand' : 'raisedHand', { name: p.displayName }),
      );
    if (p.reaction && p.reaction !== was.reaction)
      announcements.push(t.t('reacted', { name: p.displayName, emoji: p.reaction.emoji }));
  }
  for (const [id, p] of before) {
    if (after.has(id)) continue;
    events.push(new CallParticipantLeftEvent(p));
    if (inCall) announcements.push(t.t('left', { name: p.displayName }));
  }
  const a = previous.local;
  const b = s.local;
  if (
    a.microphoneEnabled !== b.microphoneEnabled ||
    a.cameraEnabled !== b.cameraEnabled ||
    a.screenShareEnabled !== b.screenShareEnabled
  ) {
    events.push(new CallMediaChangedEvent(b));
    if (inCall && a.microphoneEnabled !== b.microphoneEnabled)
      announcements.push(t.t(b.microphoneEnabled ? 'micOn' : 'micMuted'));
  }
  return { events, announcements, inCall, left };
}
