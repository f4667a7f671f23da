import { afterEach, describe, expect, it, vi } from 'vitest'
import type { NodeRecord } from 'plait'
import { combineObservers, type RunObserver } from '../../runtime/observe/index.js'
import { checkTrace } from './support.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('combineObservers', () => {
  const record: NodeRecord = { run: 1, id: 'a', kind: 'derive', module: '', inputs: [], state: 'done', startMs: 0, endMs: 1 }

  it('tells every observer every hook, in order, skipping undefined and missing hooks', () => {
    const seen: string[] = []
    const full: RunObserver = {
      runStart: ({ run }) => seen.push(`full start ${run}`),
      onNode: ({ id }) => seen.push(`full node ${id}`),
      runEnd: ({ ok }) => seen.push(`full end ${ok}`),
    }
    const bare: RunObserver = { onNode: ({ id }) => seen.push(`bare node ${id}`) }
    const both = combineObservers(full, undefined, bare)
    both.runStart!({ run: 1, startedAt: 0 })
    both.onNode(record)
    both.runEnd!({ run: 1, endedAt: 1, ok: true })
    expect(seen).toEqual(['full start 1', 'full node a', 'bare node a', 'full end true'])
  })

  it('keeps going past a throwing observer and rethrows its error in a microtask', () => {
    const thrown: unknown[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      try {
        callback()
      } catch (error) {
        thrown.push(error)
      }
    })
    const seen: string[] = []
    const both = combineObservers({ onNode: () => { throw new Error('observer bug') } }, { onNode: ({ id }) => seen.push(id) })
    both.onNode(record)
    expect(seen).toEqual(['a'])
    expect(thrown).toEqual([new Error('observer bug')])
  })
})

describe('the trace checker of these tests', () => {
  const meta = [
    { name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: 'p' } },
    { name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: 1, args: { name: 't' } },
  ]
  const check = (events: object[]) => () => checkTrace(JSON.stringify({ traceEvents: [...meta, ...events] }))

  it('accepts nested slices and rejects broken ones', () => {
    expect(
      check([
        { name: 'a', ph: 'B', ts: 1, pid: 1, tid: 1 },
        { name: 'b', ph: 'B', ts: 2, pid: 1, tid: 1 },
        { name: 'b', ph: 'E', ts: 3, pid: 1, tid: 1 },
        { name: 'a', ph: 'E', ts: 3, pid: 1, tid: 1 },
      ])().shape.slices.map((slice) => [slice.name, slice.depth]),
    ).toEqual([
      ['b', 1],
      ['a', 0],
    ])
    expect(check([{ name: 'a', ph: 'B', ts: 1, pid: 1, tid: 1 }])).toThrow(/unclosed/)
    expect(check([{ name: 'a', ph: 'E', ts: 1, pid: 1, tid: 1 }])).toThrow(/E without B/)
    expect(
      check([
        { name: 'a', ph: 'B', ts: 1, pid: 1, tid: 1 },
        { name: 'b', ph: 'B', ts: 2, pid: 1, tid: 1 },
        { name: 'a', ph: 'E', ts: 3, pid: 1, tid: 1 },
        { name: 'b', ph: 'E', ts: 4, pid: 1, tid: 1 },
      ]),
    ).toThrow(/E closes b/)
    expect(
      check([
        { name: 'a', ph: 'B', ts: 2, pid: 1, tid: 1 },
        { name: 'a', ph: 'E', ts: 1, pid: 1, tid: 1 },
      ]),
    ).toThrow(/ts goes back/)
    expect(check([{ name: 'a', ph: 'B', ts: 1, pid: 1, tid: 2 }])).toThrow(/unnamed thread/)
    expect(check([{ name: 'retry', cat: 'call.event', ph: 'i', s: 't', ts: 1, pid: 1, tid: 1 }])).toThrow(/outside its call/)
    expect(check([{ name: 'c', ph: 'C', ts: 1, pid: 1, tid: 1, args: { n: 'x' } }])).toThrow(/numbers/)
  })
})
