/**
 * The abort signal `openai()` hands the `openai` SDK with each request: a plain object with the
 * members the SDK (v6) uses, not an `AbortSignal`. The SDK reads `aborted` and adds one `abort`
 * listener, which it never removes, to link its own `AbortController` (the one `fetch` gets); it
 * never passes the signal on. On Node, `addEventListener` on a real `AbortSignal` costs more than
 * the rest of a request's way through plait (≈ 16 µs per request on a fresh signal, ≈ 25 µs on a
 * shared one, see bench/README.md, S4), and on a signal shared by many requests the never-removed
 * listeners pile up. This object lives as long as its request: its listener goes with it.
 */
import { onAbort } from './abort.js'

type Listener = ((event: { type: 'abort'; target: RequestSignal }) => void) | { handleEvent(event: { type: 'abort'; target: RequestSignal }): void }

/**
 * Follows `caller` for one request: once `caller` aborts, `aborted` and `reason` are set and the
 * listeners are called once. Call {@link RequestSignal.done} when the request has settled. Without
 * a caller it aborts only through {@link RequestSignal.abort} (a direct call's request is told by
 * its run, see runtime/direct.ts).
 *
 * @example
 * ```ts
 * const requestSignal = new RequestSignal(run.signal)
 * try {
 *   await client.chat.completions.create(body, { signal: requestSignal.asSignal() })
 * } finally {
 *   requestSignal.done()
 * }
 * ```
 */
export class RequestSignal {
  // Fields set in the constructor, not by initializers (see RunNode in runtime/run.ts).
  declare aborted: boolean
  declare reason: unknown
  declare listeners: Listener[] | undefined
  declare stop: (() => void) | undefined

  constructor(caller?: AbortSignal) {
    this.aborted = false
    this.reason = undefined
    this.listeners = undefined
    this.stop = undefined
    // Calls abort() at once when the caller has already aborted.
    if (caller !== undefined) this.stop = onAbort(caller, (reason) => this.abort(reason))
  }

  /** This object typed as the `AbortSignal` it stands in for (see the file's comment). */
  asSignal(): AbortSignal {
    return this as unknown as AbortSignal
  }

  addEventListener(type: string, listener: Listener | null): void {
    // Like an AbortSignal: an aborted signal never fires again.
    if (type !== 'abort' || listener === null || this.aborted) return
    if (this.listeners === undefined) this.listeners = [listener]
    else if (!this.listeners.includes(listener)) this.listeners.push(listener)
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const index = type === 'abort' && this.listeners !== undefined && listener !== null ? this.listeners.indexOf(listener) : -1
    if (index !== -1) this.listeners!.splice(index, 1)
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason
  }

  /** Aborts with `reason`: sets `aborted` and `reason`, then calls each listener once. */
  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const listeners = this.listeners
    this.listeners = undefined
    if (listeners === undefined) return
    const event = { type: 'abort' as const, target: this }
    for (const listener of listeners) {
      if (typeof listener === 'function') listener(event)
      else listener.handleEvent(event)
    }
  }

  /** The request has settled: stop following the caller and drop the listeners. */
  done(): void {
    this.stop?.()
    this.listeners = undefined
  }
}
