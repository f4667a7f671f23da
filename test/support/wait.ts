/**
 * Polls `condition` until it is true, or rejects after `timeoutMs` with `message`.
 *
 * @example
 * ```ts
 * await waitUntil(() => server.stats.inFlight === 0)
 * ```
 */
export async function waitUntil(condition: () => boolean, options: { timeoutMs?: number; intervalMs?: number; message?: string } = {}): Promise<void> {
  const { timeoutMs = 3_000, intervalMs = 5, message = 'condition' } = options
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Expected ${message} to become true within ${timeoutMs}ms`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
