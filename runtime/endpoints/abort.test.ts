import { getEventListeners } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import { abortOwned, onAbort, ownedController, watchAbort } from './abort.js'

describe('onAbort and watchAbort', () => {
  it('add one listener to a signal however many wait, and tell each once with the reason', () => {
    const controller = new AbortController()
    const callbacks = Array.from({ length: 20 }, () => vi.fn())
    const stops = callbacks.map((callback) => onAbort(controller.signal, callback))
    const watcher = { aborted: vi.fn() }
    watchAbort(controller.signal, watcher)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    stops[0]!()
    controller.abort('why')
    expect(callbacks[0]).not.toHaveBeenCalled()
    for (const callback of callbacks.slice(1)) expect(callback).toHaveBeenCalledExactlyOnceWith('why')
    expect(watcher.aborted).toHaveBeenCalledExactlyOnceWith('why')
  })
})

describe('ownedController', () => {
  it('tells its waiters through abortOwned, with no listener on its signal', () => {
    const controller = ownedController()
    const callback = vi.fn()
    const watcher = { aborted: vi.fn() }
    onAbort(controller.signal, callback)
    watchAbort(controller.signal, watcher)
    const listener = vi.fn()
    controller.signal.addEventListener('abort', listener)
    expect(getEventListeners(controller.signal, 'abort')).toEqual([listener])
    const reason = new Error('stop')
    abortOwned(controller, reason)
    abortOwned(controller, new Error('again'))
    expect(controller.signal.reason).toBe(reason)
    expect(callback).toHaveBeenCalledExactlyOnceWith(reason)
    expect(watcher.aborted).toHaveBeenCalledExactlyOnceWith(reason)
    expect(listener).toHaveBeenCalledOnce()
  })

  it('tells a waiter that comes after the abort at once', () => {
    const controller = ownedController()
    abortOwned(controller, 'late')
    const callback = vi.fn()
    onAbort(controller.signal, callback)
    expect(callback).toHaveBeenCalledExactlyOnceWith('late')
  })
})
