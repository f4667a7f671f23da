import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { defineEndpoint, type CompletionRequest } from '../../runtime/endpoints/index.js'

const request: CompletionRequest = { messages: [{ role: 'user', content: 'hi' }] }

function deferred<T = void>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const echo = (maxConcurrent?: number) =>
  defineEndpoint({
    kind: 'echo',
    model: 'echo-1',
    ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
    complete: async (r) => ({ text: r.messages.at(-1)?.content ?? '', model: 'echo-1' }),
  })

describe('defineEndpoint', () => {
  it('makes an endpoint with limits, description and complete', async () => {
    const endpoint = echo()
    expect(endpoint.isPlaitEndpoint).toBe(true)
    expect(endpoint.limits).toEqual({ maxConcurrent: 8, retries: { attempts: 4, baseMs: 500, maxMs: 30_000 }, fallbacks: [], adaptive: true })
    expect(Object.isFrozen(endpoint.limits)).toBe(true)
    expect(endpoint.effectiveLimits).toEqual({ maxConcurrent: 8 })
    expect(endpoint.describe()).toEqual({ kind: 'echo', model: 'echo-1' })
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
    await expect(endpoint.complete(request, { signal: new AbortController().signal })).resolves.toEqual({ text: 'hi', model: 'echo-1' })
  })

  it('rejects bad options with clear TypeErrors', () => {
    const complete = async () => ({ text: '', model: 'm' })
    expect(() => defineEndpoint({ kind: 'k', model: 'm', maxConcurrent: 0, complete })).toThrow(/Expected `maxConcurrent` .* to be a positive integer, got 0/)
    expect(() => defineEndpoint({ kind: 'k', model: 'm', maxConcurrent: 1.5, complete })).toThrow(TypeError)
    expect(() => defineEndpoint({ kind: 'k', model: 'm', maxConcurrent: Number.POSITIVE_INFINITY, complete })).toThrow(TypeError)
    expect(() => defineEndpoint({ kind: 'k', model: '', complete })).toThrow(/Expected `model` of the k endpoint to be a non-empty string, got an empty string/)
    expect(() => defineEndpoint({ kind: 'k', model: 42 as unknown as string, complete })).toThrow(/got 42/)
    expect(() => defineEndpoint({ kind: '', model: 'm', complete })).toThrow(/Expected `kind`/)
    expect(() => defineEndpoint({ kind: 'k', model: 'm', complete: 'no' as never })).toThrow(/Expected `complete` .* to be a function/)
  })

  it('checks what complete resolves to', async () => {
    const bad = defineEndpoint({ kind: 'k', model: 'm', complete: async () => ({ text: 1 }) as never })
    await expect(bad.complete(request, { signal: new AbortController().signal })).rejects.toThrow(/Expected `complete` .* to resolve to \{ text: string, model: string \}/)
  })

  it('shows only its description, with the baseURL stripped of credentials', () => {
    const endpoint = defineEndpoint({
      kind: 'custom',
      model: 'm',
      baseURL: 'https://user:hunter22@example.com/v1/?token=abc',
      complete: async () => ({ text: '', model: 'm' }),
    })
    expect(endpoint.describe()).toEqual({ kind: 'custom', model: 'm', baseURL: 'https://example.com/v1' })
    expect(JSON.parse(JSON.stringify(endpoint))).toEqual(endpoint.describe())
    expect(String(endpoint)).toBe('Endpoint(custom:m)')
    const shown = inspect(endpoint, { depth: 10, showHidden: true })
    expect(shown).toContain("kind: 'custom'")
    expect(shown).not.toMatch(/hunter22|token=abc/)
  })
})

describe('schedule()', () => {
  it('never runs more than maxConcurrent tasks at once, and reports load', async () => {
    const endpoint = echo(2)
    const signal = new AbortController().signal
    let running = 0
    let most = 0
    const gates = Array.from({ length: 6 }, () => deferred())
    const results = gates.map((gate, i) =>
      endpoint.schedule(async () => {
        running++
        most = Math.max(most, running)
        await gate.promise
        running--
        return i
      }, { signal }),
    )
    await Promise.resolve()
    expect(endpoint.load).toEqual({ inFlight: 2, queued: 4 })
    for (const gate of gates) {
      gate.resolve()
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5])
    expect(most).toBe(2)
    expect(endpoint.load).toEqual({ inFlight: 0, queued: 0 })
  })

  it('removes a queued task whose signal aborts, rejecting with the reason', async () => {
    const endpoint = echo(1)
    const blocker = deferred()
    const first = endpoint.schedule(() => blocker.promise, { signal: new AbortController().signal })
    const controller = new AbortController()
    let ran = false
    const queued = endpoint.schedule(async () => {
      ran = true
    }, { signal: controller.signal })
    await Promise.resolve()
    expect(endpoint.load).toEqual({ inFlight: 1, queued: 1 })
    const reason = new Error('stop waiting')
    controller.abort(reason)
    await expect(queued).rejects.toBe(reason)
    expect(endpoint.load).toEqual({ inFlight: 1, queued: 0 })
    blocker.resolve()
    await first
    expect(ran).toBe(false)
  })

  it('rejects at once with an AbortError when the signal is already aborted', async () => {
    const endpoint = echo(1)
    let ran = false
    const controller = new AbortController()
    controller.abort()
    const error = await endpoint
      .schedule(async () => {
        ran = true
      }, { signal: controller.signal })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe('AbortError')
    expect(ran).toBe(false)
  })

  it('rejects a running task at once on abort but keeps its slot until it settles', async () => {
    const endpoint = echo(1)
    const controller = new AbortController()
    const gate = deferred()
    const running = endpoint.schedule(() => gate.promise, { signal: controller.signal })
    let secondStarted = false
    const second = endpoint.schedule(async () => {
      secondStarted = true
    }, { signal: new AbortController().signal })
    await Promise.resolve()
    controller.abort()
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
    expect(endpoint.load).toEqual({ inFlight: 1, queued: 1 })
    expect(secondStarted).toBe(false)
    gate.resolve()
    await second
    expect(secondStarted).toBe(true)
  })

  it('starts higher priority tasks first', async () => {
    const endpoint = echo(1)
    const signal = new AbortController().signal
    const gate = deferred()
    const order: string[] = []
    const blocker = endpoint.schedule(() => gate.promise, { signal })
    const tasks = [
      endpoint.schedule(async () => void order.push('low'), { signal, priority: 0 }),
      endpoint.schedule(async () => void order.push('high'), { signal, priority: 5 }),
      endpoint.schedule(async () => void order.push('low2'), { signal }),
    ]
    gate.resolve()
    await Promise.all([blocker, ...tasks])
    expect(order).toEqual(['high', 'low', 'low2'])
  })

  it('adds one abort listener per signal however many tasks share it', async () => {
    const endpoint = echo(2)
    const controller = new AbortController()
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const gate = deferred()
      const tasks = Array.from({ length: 50 }, () => endpoint.schedule(() => gate.promise, { signal: controller.signal }))
      gate.resolve()
      await Promise.all(tasks)
      await new Promise((resolve) => setTimeout(resolve, 10))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
  })

  it('rejects a missing signal with a TypeError', async () => {
    const endpoint = echo(1)
    await expect(endpoint.schedule(async () => 1, {} as { signal: AbortSignal })).rejects.toThrow(/Expected `options.signal` .* to be an AbortSignal/)
  })
})

describe('defineEndpoint() signals', () => {
  it('passes the caller\'s signal to `complete` (no timeoutMs)', async () => {
    let given: AbortSignal | undefined
    const endpoint = defineEndpoint({ kind: 'k', model: 'm', complete: async (_request, { signal }) => ((given = signal), { text: '', model: 'm' }) })
    const caller = new AbortController()
    await endpoint.complete(request, { signal: caller.signal })
    expect(given).toBe(caller.signal)
  })
})
