// Whether this instance is draining: set once, when it starts to shut down, never unset. While
// it drains, /readyz answers 503 (the load balancer stops sending new clients), upgrades are
// refused with 503, and the gateway lets the sends in flight be acked before it closes the
// sockets with 1012. plugins/lifecycle.ts starts the drain as the app begins to close.
export class Lifecycle {
  #draining = false

  get draining(): boolean {
    return this.#draining
  }

  /** Starts the drain. Idempotent. */
  drain(): void {
    this.#draining = true
  }
}
