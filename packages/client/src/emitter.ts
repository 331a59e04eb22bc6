// A tiny typed event emitter that runs in browsers and in Node alike (no node:events).

/** Event name → the arguments its listeners receive. */
export type EventMap = { [event: string]: unknown[] }

export type Listener<A extends unknown[]> = (...args: A) => void

export class Emitter<E extends EventMap> {
  private readonly listeners: { [K in keyof E]?: Set<Listener<E[K]>> } = {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners[event]
    if (!set) {
      set = new Set()
      this.listeners[event] = set
    }
    set.add(listener)
    return () => this.off(event, listener)
  }

  /** Adds a listener called at most once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off()
      listener(...args)
    })
    return off
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.listeners[event]?.delete(listener)
  }

  /**
   * Calls every listener of `event`. A listener that throws does not stop the others nor the
   * caller (delivery goes on); its error is rethrown on its own, as EventTarget reports it.
   */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners[event]
    if (!set) return
    for (const listener of [...set]) {
      try {
        listener(...args)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }

  protected listenerCount<K extends keyof E>(event: K): number {
    return this.listeners[event]?.size ?? 0
  }
}
