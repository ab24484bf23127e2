/**
 * A cap on the LiveKit rooms the service creates per user in a sliding minute (beyond
 * lk-jwt-service): a hostile room member cannot make the SFU host any number of rooms.
 * Joining a room that already exists never counts.
 */
const WINDOW_MS = 60_000;

export class RoomCreationLimit {
  private readonly created = new Map<string, number[]>();

  constructor(
    /** Rooms per user per minute; 0 = no cap. */
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Milliseconds until `userId` may create another room; 0 = now. */
  waitMs(userId: string): number {
    if (!this.enabled) return 0;
    const times = this.recent(userId);
    if (times.length < this.perMinute) return 0;
    const oldest = times[times.length - this.perMinute] ?? this.now();
    return Math.max(1, oldest + WINDOW_MS - this.now());
  }

  record(userId: string): void {
    if (!this.enabled) return;
    const times = this.recent(userId);
    times.push(this.now());
    this.created.set(userId, times);
  }

  private recent(userId: string): number[] {
    const since = this.now() - WINDOW_MS;
    const times = (this.created.get(userId) ?? []).filter((t) => t > since);
    if (times.length === 0) this.created.delete(userId);
    else this.created.set(userId, times);
    return times;
  }
}
