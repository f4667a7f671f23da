import { describe, expect, it, vi } from 'vitest'
import { RequestSignal } from './request-signal.js'

describe('RequestSignal', () => {
  it('follows the caller: aborts once with its reason and calls each listener once', () => {
    const caller = new AbortController()
    const signal = new RequestSignal(caller.signal)
    const listener = vi.fn()
    const handler = { handleEvent: vi.fn() }
    signal.addEventListener('abort', listener)
    signal.addEventListener('abort', listener)
    signal.addEventListener('abort', handler)
    signal.addEventListener('other', listener)
    expect(signal.aborted).toBe(false)
    expect(() => signal.throwIfAborted()).not.toThrow()
    const reason = new Error('stop')
    caller.abort(reason)
    expect(signal).toMatchObject({ aborted: true, reason })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener).toHaveBeenCalledWith({ type: 'abort', target: signal })
    expect(handler.handleEvent).toHaveBeenCalledTimes(1)
    expect(() => signal.throwIfAborted()).toThrow(reason)
    signal.abort(new Error('again'))
    expect(signal.reason).toBe(reason)
  })

  it('starts aborted under an aborted caller, and then takes no listeners', () => {
    const caller = new AbortController()
    caller.abort('gone')
    const signal = new RequestSignal(caller.signal)
    const listener = vi.fn()
    signal.addEventListener('abort', listener)
    expect(signal).toMatchObject({ aborted: true, reason: 'gone' })
    expect(listener).not.toHaveBeenCalled()
  })

  it('removes a listener, and after done() no longer follows the caller', () => {
    const caller = new AbortController()
    const kept = new RequestSignal(caller.signal)
    const finished = new RequestSignal(caller.signal)
    const removed = vi.fn()
    const listener = vi.fn()
    kept.addEventListener('abort', removed)
    kept.addEventListener('abort', listener)
    kept.removeEventListener('abort', removed)
    finished.addEventListener('abort', listener)
    finished.done()
    caller.abort()
    expect(removed).not.toHaveBeenCalled()
    expect(listener).toHaveBeenCalledTimes(1)
    expect(kept.aborted).toBe(true)
    expect(finished.aborted).toBe(false)
  })
})
