/**
 * The runtime of a compiled `try` (`Scope.attempt`, runtime/attempt.ts), driven by hand-written
 * compiled code: which failure the catch sees, what never runs after a failure, the order of side
 * effects, and failures that still fail the run.
 */
import { describe, expect, it } from 'vitest'
import { LLMInference, Module } from 'plait'
import { enter } from 'plait/compiled'
import { compareKeys } from '../../runtime/attempt.js'
import { mostAbortListenersOnOneSignal } from '../support/abort-listeners.js'
import { effects, endpoint, record } from './harness.js'

const loc = { file: 'attempt.test.ts', line: 1, column: 1 }
const cause = (error: unknown): string => {
  let current = error
  while (current instanceof Error && current.cause !== undefined) current = current.cause
  return current instanceof Error ? current.message : String(current)
}

class Base extends Module<[string], unknown> {
  a = new LLMInference({ alias: 'main', system: 'A' })
  b = new LLMInference({ alias: 'main', system: 'B' })
}

async function run(Pipeline: new () => Module<[string], unknown>, input: string) {
  effects.length = 0
  const events: string[] = []
  try {
    const value = await new Pipeline().bind({ endpoints: { main: endpoint } }).run([input], { onNode: (node) => events.push(`${node.id}:${node.state}`) })
    return { value, effects: [...effects], events }
  } catch (error) {
    return { error: cause(error), effects: [...effects], events }
  }
}

describe('program-order keys', () => {
  it('a node comes before the nodes it builds, which come before the next node', () => {
    expect(compareKeys([3], [3, 0])).toBeLessThan(0)
    expect(compareKeys([3, 1], [4])).toBeLessThan(0)
    expect(compareKeys([2], [2])).toBe(0)
    expect(compareKeys([5], [4, 9])).toBeGreaterThan(0)
  })
})

describe('Scope.attempt', () => {
  class Fallback extends Base {
    override forward(input: string) {
      const $ = enter(this)
      let answer: unknown = 'none'
      const t = $.attempt(
        'try',
        () => {
          const first = $.call(this.a, 'first', [input], loc)
          answer = $.call(this.b, 'answer', [first], loc)
          return [answer]
        },
        ((answer: unknown) => (error: unknown) => {
          $.effect('record', [], () => record('caught', cause(error)), loc)
          answer = 'fallback'
          return [answer]
        })(answer),
        undefined,
        loc,
      )
      answer = $.select('answer', t, 0, loc)
      return $.render('out', ['', '!'], [answer], loc)
    }
  }

  it('gives the try block its results when nothing fails', async () => {
    expect(await run(Fallback, 'ok')).toMatchObject({ value: 'B(A(ok))!', effects: [] })
  })

  it('runs the catch block when a call fails, and the run does not fail; calls after the failure never run', async () => {
    const result = await run(Fallback, 'boom')
    expect(result).toMatchObject({ value: 'fallback!', effects: ['caught the endpoint failed on boom'] })
    expect(result.events).toContain('first:failed')
    expect(result.events).toContain('answer:cancelled')
  })

  class FirstInOrder extends Base {
    override forward(input: string) {
      const $ = enter(this)
      return $.attempt(
        'try',
        () => {
          // The later call fails first in time (no latency difference here: both fail), the earlier one in program order wins.
          const slow = $.derive('slow', [$.call(this.a, 'x', [input], loc)], (x: string) => new Promise((_, reject) => setTimeout(() => reject(new Error(`first in order: ${x}`)), 20)), loc)
          const fast = $.derive('fast', [$.call(this.b, 'y', [input], loc)], (y: string) => {
            throw new Error(`second in order: ${y}`)
          }, loc)
          $.effect('never', [], () => record('never'), loc)
          return [slow, fast]
        },
        (error: unknown) => [cause(error)],
        undefined,
        loc,
      )
    }
  }

  it('gives the catch block the failure first in program order, not in time, and skips side effects after it', async () => {
    expect(await run(FirstInOrder, 'in')).toMatchObject({ value: ['first in order: A(in)'], effects: [] })
  })

  class Ordered extends Base {
    override forward(input: string) {
      const $ = enter(this)
      $.effect('before', [], () => record('before'), loc)
      const t = $.attempt(
        'try',
        () => {
          const reply = $.call(this.a, 'reply', [input], loc)
          $.effect('inside', [reply], (reply: string) => record('inside', reply), loc)
          const second = $.call(this.b, 'second', [`${input}-2`], loc)
          $.effect('after second', [], () => record('after second'), loc)
          return [reply, second]
        },
        () => {
          $.effect('caught', [], () => record('caught'), loc)
          return ['x', 'y']
        },
        () => {
          $.effect('finally', [], () => record('finally'), loc)
          return []
        },
        loc,
      )
      $.effect('after', [t], (t: unknown) => record('after', JSON.stringify(t)), loc)
      return t
    }
  }

  it('keeps side effects in program order: none after the failing call, the catch and finally blocks after the try block', async () => {
    expect(await run(Ordered, 'fine')).toMatchObject({ value: ['A(fine)', 'B(fine-2)'], effects: ['before', 'inside A(fine)', 'after second', 'finally', 'after ["A(fine)","B(fine-2)"]'] })
    // `input-2` holds boom too: the first call fails, so nothing after it in the try block runs.
    expect(await run(Ordered, 'boom')).toMatchObject({ value: ['x', 'y'], effects: ['before', 'caught', 'finally', 'after ["x","y"]'] })
  })

  class Rethrow extends Base {
    override forward(input: string) {
      const $ = enter(this)
      return $.attempt(
        'try',
        () => [$.call(this.a, 'reply', [input], loc)],
        (error: unknown) => {
          $.effect('caught', [], () => record('caught'), loc)
          return $.effect('throw', [error], (error: unknown) => {
            throw error
          }, loc)
        },
        () => {
          $.effect('finally', [], () => record('finally'), loc)
          return []
        },
        loc,
      )
    }
  }

  it('fails the run when the catch block throws, after the finally block', async () => {
    expect(await run(Rethrow, 'boom')).toMatchObject({ error: 'the endpoint failed on boom', effects: ['caught', 'finally'] })
    expect(await run(Rethrow, 'fine')).toMatchObject({ value: ['A(fine)'], effects: ['finally'] })
  })

  class Nested extends Base {
    override forward(input: string) {
      const $ = enter(this)
      return $.attempt(
        'outer',
        () => {
          const inner = $.attempt('inner', () => [$.call(this.a, 'reply', [input], loc)], (error: unknown) => {
            record('inner caught')
            return $.effect('throw', [new Error(`again: ${cause(error)}`)], (error: unknown) => {
              throw error
            }, loc)
          }, undefined, loc)
          const after = $.call(this.b, 'after', [$.select('first', inner, 0, loc)], loc)
          return [after]
        },
        (error: unknown) => [`outer caught ${cause(error)}`],
        undefined,
        loc,
      )
    }
  }

  it('nests: a catch block that throws is a failure of the enclosing try block', async () => {
    expect(await run(Nested, 'boom')).toMatchObject({ value: ['outer caught again: the endpoint failed on boom'], effects: ['inner caught'] })
    expect(await run(Nested, 'x')).toMatchObject({ value: ['B(A(x))'], effects: [] })
  })

  class NoCatch extends Base {
    override forward(input: string) {
      const $ = enter(this)
      return $.attempt('try', () => [$.call(this.a, 'reply', [input], loc)], undefined, () => {
        $.effect('finally', [], () => record('finally'), loc)
        return []
      }, loc)
    }
  }

  it('try/finally without catch: the failure fails the run after the finally block', async () => {
    expect(await run(NoCatch, 'boom')).toMatchObject({ error: 'the endpoint failed on boom', effects: ['finally'] })
  })

  class Plain extends Base {
    override forward(input: string) {
      const $ = enter(this)
      return $.attempt('try', () => [JSON.parse(input)], (error: unknown) => [`bad: ${(error as Error).name}`], undefined, loc)
    }
  }

  it('on plain values runs at once, as the statement would', async () => {
    expect(await run(Plain, '[1]')).toMatchObject({ value: [[1]] })
    expect(await run(Plain, 'nope')).toMatchObject({ value: ['bad: SyntaxError'] })
  })

  class ManyTries extends Base {
    override forward(input: string) {
      const $ = enter(this)
      const answers: unknown[] = []
      for (let index = 0; index < 300; index++) {
        answers.push($.select('answer', $.attempt('try', () => [$.call(this.a, 'a', [`${input} ${index}`], loc)], () => ['none'], undefined, loc), 0, loc))
      }
      return answers
    }
  }

  it('adds no abort listener per scope to the signal they share (a try in a loop)', async () => {
    // One listener per scope on the signal they share made n tries take n² steps.
    const most = await mostAbortListenersOnOneSignal(async () => {
      const result = await run(ManyTries, 'in')
      expect(result.value).toHaveLength(300)
    })
    expect(most).toBeLessThanOrEqual(1)
  })
})
