type Listener = (...args: never[]) => void;

/**
 * A minimal typed event emitter. Listener errors are caught and reported to
 * `onListenerError`, so one faulty subscriber never breaks the call.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();

  /** Receives errors thrown by listeners. */
  protected onListenerError(error: unknown, event: keyof Events): void {
    console.error(`[matrix-call] listener for "${String(event)}" threw`, error);
  }

  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
