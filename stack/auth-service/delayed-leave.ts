/**
 * Delegated delayed leave events, with lk-jwt-service's observable behaviour
 * (delayedEventManager.go): a client hands over the delay ID of its MatrixRTC leave event
 * (an MSC4140 delayed state event); the service keeps restarting it while the client's
 * LiveKit participant is connected, and sends it as soon as the participant leaves.
 *
 * One job per (LiveKit room, identity); a new delegation for the same pair replaces the old
 * job. States and what moves between them:
 *
 *   waiting      → connected     participant joined (webhook) or found by polling LiveKit
 *                → aborted       participant's connection aborted before it ever connected
 *                → disconnected  nobody connected within min(delay, 1 h)
 *   connected    → disconnected  participant left or its connection aborted (webhook), or
 *                                the optional sanity check no longer finds it
 *                → aborted       restart failed until the delay ran out, the delayed event is
 *                                gone (404), or the homeserver's CS API cannot be found
 *   disconnected: send the delayed event (retrying until it would have fired anyway), done
 *   aborted: done, nothing sent (the homeserver's own timer sends it)
 *
 * In `connected` the event is restarted at once (the delay may have run for a while before
 * the handover) and then every 80 % of the delay. Delay IDs are capabilities (anyone who has
 * one may send or cancel the event), so they are never logged.
 */
import { retryWithBackoff, type RetryResult } from './backoff.js';
import type { ActionOutcome, DelayedEventAction } from './cs-api.js';

export interface DelayedLeaveParams {
  /** The user's homeserver (its CS API receives the restart and send calls). */
  serverName: string;
  delayId: string;
  delayTimeoutMs: number;
  livekitRoom: string;
  livekitIdentity: string;
  /** For the log only. */
  userId: string;
}

export type JobState = 'waiting' | 'connected' | 'disconnected' | 'aborted' | 'replaced';
/** What LiveKit's webhook reports about a participant. */
export type SfuSignal = 'participant-connected' | 'left-intentionally' | 'connection-aborted';
type JobSignal =
  | SfuSignal
  | 'lookup-succeeded'
  | 'sfu-participant-gone'
  | 'waiting-timed-out'
  | 'restart-failed'
  | 'event-not-found'
  | 'cs-api-unresolved'
  | 'replaced';

const TRANSITIONS: Record<JobState, Partial<Record<JobSignal, JobState>>> = {
  waiting: {
    'participant-connected': 'connected',
    'lookup-succeeded': 'connected',
    'connection-aborted': 'aborted',
    'waiting-timed-out': 'disconnected',
    replaced: 'replaced',
  },
  connected: {
    'left-intentionally': 'disconnected',
    'connection-aborted': 'disconnected',
    'sfu-participant-gone': 'disconnected',
    'restart-failed': 'aborted',
    'event-not-found': 'aborted',
    'cs-api-unresolved': 'aborted',
    replaced: 'replaced',
  },
  disconnected: { replaced: 'replaced' },
  aborted: { replaced: 'replaced' },
  replaced: {},
};

const HOUR_MS = 60 * 60 * 1000;

export interface DelayedLeaveDeps {
  resolveCsApi(serverName: string): Promise<string | undefined>;
  action(baseUrl: string, delayId: string, action: DelayedEventAction): Promise<ActionOutcome>;
  /** true/false when LiveKit says so; undefined when it could not be asked. */
  participantExists(room: string, identity: string): Promise<boolean | undefined>;
  log(entry: Record<string, unknown>): void;
  /** Periodic "still on the SFU?" check while connected; 0 = off (the default upstream). */
  sanityCheckIntervalMs: number;
}

class DelayedLeaveJob {
  state: JobState = 'waiting';
  private readonly abort = new AbortController();
  /** Aborted when the state changes: ends the previous state's retry loops. */
  private stateAbort = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** By when the next restart (or the send) must have succeeded. */
  private deadline = 0;

  constructor(
    readonly params: DelayedLeaveParams,
    private readonly deps: DelayedLeaveDeps,
    private readonly onDone: (job: DelayedLeaveJob) => void,
  ) {}

  start(): void {
    const waitMs = Math.min(HOUR_MS, this.params.delayTimeoutMs);
    this.timer(waitMs, () => {
      if (this.state === 'waiting') this.signal('waiting-timed-out');
    });
    void this.lookUpParticipant(waitMs);
  }

  stop(): void {
    this.abort.abort();
    this.stateAbort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  signal(signal: JobSignal): void {
    const next = TRANSITIONS[this.state][signal];
    if (next === undefined) return; // stale or duplicate: ignored, as upstream
    const from = this.state;
    this.state = next;
    this.log({ event: 'transition', from, to: next, signal });
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stateAbort.abort();
    this.stateAbort = new AbortController();
    if (next === 'connected') {
      this.deadline = Date.now() + this.params.delayTimeoutMs;
      void this.restart();
    } else if (next === 'disconnected') {
      void this.send();
    } else if (next === 'aborted') {
      this.finish();
    } else if (next === 'replaced') {
      this.stop();
    }
  }

  private timer(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private log(entry: Record<string, unknown>): void {
    this.deps.log({
      msg: 'delayed-leave',
      user: this.params.userId,
      lk_room: this.params.livekitRoom,
      lk_identity: this.params.livekitIdentity,
      ...entry,
    });
  }

  private finish(): void {
    this.stop();
    this.onDone(this);
  }

  /** Phase 1: poll LiveKit until the participant is there; phase 2: the sanity check. */
  private async lookUpParticipant(maxElapsedMs: number): Promise<void> {
    const { livekitRoom: room, livekitIdentity: identity } = this.params;
    const found = await retryWithBackoff(
      async () =>
        (await this.deps.participantExists(room, identity)) === true
          ? { done: true, value: true }
          : { done: false },
      { maxElapsedMs, signal: this.abort.signal },
    );
    if (!found.ok) return;
    this.signal('lookup-succeeded');
    const every = this.deps.sanityCheckIntervalMs;
    if (every <= 0) return;
    const check = async () => {
      if (this.abort.signal.aborted || this.state !== 'connected') return;
      // Only a confirmed absence counts; a failed lookup is ignored.
      if ((await this.deps.participantExists(room, identity)) === false) {
        this.signal('sfu-participant-gone');
      } else {
        this.timer(every, () => void check());
      }
    };
    this.timer(every, () => void check());
  }

  /** One delayed-event call, retried with backoff while the homeserver says "later". */
  private withRetries(
    base: string,
    action: DelayedEventAction,
    maxElapsedMs: number,
    signal: AbortSignal,
  ): Promise<RetryResult<ActionOutcome>> {
    return retryWithBackoff<ActionOutcome>(
      async () => {
        const outcome = await this.deps.action(base, this.params.delayId, action);
        if (outcome.kind !== 'retry') return { done: true, value: outcome };
        return outcome.afterMs === undefined
          ? { done: false }
          : { done: false, afterMs: outcome.afterMs };
      },
      { maxElapsedMs, signal },
    );
  }

  private async restart(): Promise<void> {
    const { signal } = this.stateAbort;
    const aborted = () => signal.aborted; // changes while awaiting
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) {
      this.signal('restart-failed');
      return;
    }
    const base = await this.deps.resolveCsApi(this.params.serverName);
    if (aborted()) return;
    if (base === undefined) {
      this.signal('cs-api-unresolved');
      return;
    }
    const result = await this.withRetries(base, 'restart', remaining, signal);
    if (aborted()) return;
    if (!result.ok) {
      this.log({ event: 'restart-failed', why: result.why });
      this.signal('restart-failed');
    } else if (result.value.kind === 'not-found') {
      this.signal('event-not-found');
    } else {
      this.deadline = Date.now() + this.params.delayTimeoutMs;
      this.log({ event: 'restarted', next_in_ms: Math.round(this.params.delayTimeoutMs * 0.8) });
      this.timer(this.params.delayTimeoutMs * 0.8, () => void this.restart());
    }
  }

  private async send(): Promise<void> {
    // At least one real attempt; never beyond the sticky-event lifetime of an hour.
    const remaining = Math.min(HOUR_MS, Math.max(1000, this.deadline - Date.now()));
    const base = await this.deps.resolveCsApi(this.params.serverName);
    if (base === undefined) {
      this.log({ event: 'send-failed', why: 'cs-api-unresolved' });
      this.finish();
      return;
    }
    const result = await this.withRetries(base, 'send', remaining, this.abort.signal);
    if (result.ok) {
      this.log({
        event: result.value.status === 404 ? 'already-sent' : 'sent',
        status: result.value.status,
      });
    } else {
      this.log({ event: 'send-failed', why: result.why });
    }
    if (this.state === 'disconnected') this.finish();
  }
}

/** All delegations of one auth service. */
export class DelayedLeaveManager {
  private readonly jobs = new Map<string, DelayedLeaveJob>();
  private closed = false;

  constructor(private readonly deps: DelayedLeaveDeps) {}

  private static key(room: string, identity: string): string {
    return JSON.stringify([room, identity]);
  }

  /** Takes over a delayed leave event; replaces an earlier job for the same participant. */
  add(params: DelayedLeaveParams): void {
    if (this.closed) throw new Error('the service is shutting down');
    const key = DelayedLeaveManager.key(params.livekitRoom, params.livekitIdentity);
    this.jobs.get(key)?.signal('replaced');
    const job = new DelayedLeaveJob(params, this.deps, (done) => {
      if (this.jobs.get(key) === done) this.jobs.delete(key);
    });
    this.jobs.set(key, job);
    this.deps.log({
      msg: 'delayed-leave',
      event: 'delegated',
      user: params.userId,
      lk_room: params.livekitRoom,
      lk_identity: params.livekitIdentity,
      delay_timeout_ms: params.delayTimeoutMs,
    });
    job.start();
  }

  /** A LiveKit webhook event for a participant; ignored unless a job watches it. */
  onSfuEvent(room: string, identity: string, signal: SfuSignal): void {
    this.jobs.get(DelayedLeaveManager.key(room, identity))?.signal(signal);
  }

  /** The job's state, for tests and diagnostics. */
  state(room: string, identity: string): JobState | undefined {
    return this.jobs.get(DelayedLeaveManager.key(room, identity))?.state;
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Stops every job (nothing more is sent: the homeservers' own timers take over). */
  close(): void {
    this.closed = true;
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
  }
}
