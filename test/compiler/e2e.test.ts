/**
 * Compiled programs with harder control flow, each run on several inputs against the plain
 * sequential reference (same output, same side effects in the same order).
 */
import { describe, expect, it } from 'vitest'
import { LLMInference, Module, validateGraph } from 'plait'
import { enter, mark, sites } from 'plait/compiled'
import { compile } from '../../plugin/compiler/index.js'
import { load, run } from './harness.js'
import { sequentialReference } from './sequential.js'

const program = (body: string, extra = '') =>
  [
    "import { LLMInference, Module } from 'plait'",
    "import { record, shout } from './support.js'",
    'export class Generated extends Module {',
    "  m0 = new LLMInference({ alias: 'main', system: 'A' })",
    "  m1 = new LLMInference({ alias: 'main', system: 'B' })",
    extra,
    '  forward(input) {',
    body,
    '  }',
    '}',
  ].join('\n')

const cases: Record<string, string> = {
  'else-if chains with returns under a plain if': `
    if (Math.random() >= 0) {
      if (this.m0(input).length % 2 === 0) return 'even'
      record('odd')
    } else if (this.m1(input) === 'x') {
      return 'never'
    } else return 'plain'
    const tail = this.m1(input)
    if (tail.length > 8) { record('long'); return tail } else if (tail.length > 5) return 'mid'
    return 'short'`,
  'a loop over a pending array inside a branch that continues': `
    const first = this.m0(input)
    if (first.length % 2 === 1) {
      const out = []
      for (const piece of first.split('(')) { out.push(this.m1(piece)); record('piece', piece) }
      return out.join('+')
    }
    record('even')
    return first`,
  'a callback with a branch that assigns': `
    const parts = [input, 'x', this.m0(input)].map((part) => {
      let label = 'short'
      if (this.m1(part).length > 6) { label = 'long'; record('long', part) }
      return label + ':' + part
    })
    return parts.join(' ')`,
  'throw inside a branch fails the run with the same cause': `
    const r = this.m0(input)
    record('before')
    if (r.length > 8) throw new Error('too long: ' + r)
    return r`,
  'destructuring with defaults and rest, optional chains and ??': `
    const data = JSON.parse(JSON.stringify({ a: this.m0(input), list: [this.m1(input), 'z', 'w'] }))
    const { a, missing = 'dflt', list: [head, ...others] } = data
    const deep = data?.nothing?.deeper ?? this.m0('fallback')
    return [a, missing, head, others.join(','), deep, { ...data, extra: 1 }]`,
  'for..of with a destructuring head over a pending array': `
    const pairs = [[this.m0(input), 1], [this.m1(input), 2]]
    let text = ''
    for (const [name, count] of pairs) text += name + count
    return text`,
  'try/catch around code on results (no calls inside)': `
    const reply = this.m0(input)
    let data = { fallback: true }
    try {
      data = JSON.parse(reply.length > 8 ? JSON.stringify({ reply }) : reply)
      record('parsed')
    } catch (error) {
      record('not json', String(error).slice(0, 11))
    }
    return [data, this.m1(input)]`,
  'a plain while loop chaining calls': `
    let draft = input
    let round = 0
    while (round < 3) { draft = this.m0(draft); round++ }
    return draft`,
  'callbacks that read pending values run on resolved ones': `
    const items = this.m0(input).split('(')
    const others = items.filter((item) => item !== input + ')')
    return others.map((item) => item.toUpperCase() + input).join('|')`,
  'helper methods that call modules': `
    const viaHelper = this.twice(input)
    return this.m1(viaHelper + shout(input))`,
  'side effects stay ordered across branches and loops': `
    record('start')
    const a = this.m0(input)
    if (a.length % 2 === 0) record('even', a)
    else record('odd', a)
    for (const tag of ['t1', 't2']) record(tag, this.m1(tag + a))
    const b = a.length > 6 ? (record('ternary'), this.m1(a)) : a
    record('end', b)
    return b`,
}

describe('compiled control flow agrees with the sequential reference', () => {
  for (const [name, body] of Object.entries(cases)) {
    it(name, async () => {
      const source = program(body, "  twice(text) { return this.m0(this.m0(text)) }")
      const result = compile(source, '/virtual/generated.js')
      expect(result.diagnostics, result.code).toEqual([])
      for (const graph of result.graphs) validateGraph(graph)
      const compiled = load(result.code)
      const reference = load(sequentialReference(source, '/virtual/generated.js', './support.js'))
      for (const input of ['doc', 'a longer document', 'xy', 'urgent: the server is down']) {
        const expected = await run(reference, input)
        const actual = await run(compiled, input)
        if (expected.error !== undefined) expect(actual.error, result.code).toBe(expected.error)
        else expect(actual, result.code).toEqual(expected)
      }
    })
  }
})

describe('locations in compiled code', () => {
  it('names the original line when code between calls throws', async () => {
    const source = program("    const reply = this.m0(input)\n    const parsed = JSON.parse(reply)\n    return parsed")
    const result = compile(source, '/virtual/generated.js')
    const line = source.split('\n').findIndex((text) => text.includes('JSON.parse')) + 1
    const outcome = await run(load(result.code), 'x')
    expect(outcome.error).toMatch(/JSON/)
    // The static location, and the generated line is the original line.
    expect(result.code.split('\n')[line - 1]).toContain('JSON.parse')
    const { error } = await (async () => {
      try {
        await new (load(result.code))().bind({ endpoints: { main: (await import('./harness.js')).endpoint } })('x')
        return { error: undefined }
      } catch (caught) {
        return { error: caught as Error }
      }
    })()
    expect(error?.message).toContain(`made at /virtual/generated.js:${line}:`)
  })
})

describe('fields the compiler cannot see', () => {
  it('run an inherited plain method like a helper, and an inherited module as a call', async () => {
    const source = [
      "'use plait'",
      'export class Generated extends Base {',
      '  forward(input) {',
      '    const loud = this.loud(this.m0(input))',
      "    return this.m0(loud + '?')",
      '  }',
      '}',
    ].join('\n')
    const result = compile(source, '/virtual/generated.js')
    expect(result.code).toContain("$.call(this.loud, 'loud', [$.call(this.m0, 'm0', [input], $L[0], this)], $L[1], this)")
    class Base extends Module {
      m0 = new LLMInference({ alias: 'main', system: 'A' })
      loud(text: string) {
        return `${text.toUpperCase()}!`
      }
    }
    const body = result.code.replace(/import\s*\{[^}]*\}\s*from\s*'[^']*';?/g, '').replace('export class Generated', 'class Generated')
    const Generated = new Function('Base', 'enter', '$mark', '$sites', `${body}\nreturn Generated`)(Base, enter, mark, sites) as new () => Module
    const { endpoint } = await import('./harness.js')
    expect(await new Generated().bind({ endpoints: { main: endpoint } })('x')).toBe('A(A(X)!?)')
  })
})

/** `try`/`catch`/`finally` around module calls: the endpoint fails on inputs holding `boom`. */
const tryCases: Record<string, string> = {
  'a catch block gives a fallback value; finally runs after either': `
    const side = this.m1('side')
    let out = 'none'
    try {
      out = this.m1(this.m0(input))
    } catch (error) {
      out = 'fallback'
      record('caught', String(error.message).replace(/^.* failed: /, ''))
    } finally {
      record('finally')
    }
    return out + ' / ' + side`,
  'side effects after a failing call in the try block never run': `
    let out = ''
    try {
      record('start')
      const first = this.m0(input)
      record('after the call')
      out = this.m1(first)
      record('got', out)
    } catch {
      out = 'failed'
      record('caught')
    }
    record('after')
    return out`,
  'rethrowing fails the run like sequential code': `
    let out = ''
    try {
      out = this.m0(input)
    } catch (error) {
      record('caught')
      throw error
    }
    return out`,
  'a new error from the catch block fails the run after the finally block': `
    let out = ''
    try {
      out = this.m0(input)
    } catch {
      throw new Error('wrapped')
    } finally {
      record('finally')
    }
    return out`,
  'try/finally without catch: the failure fails the run': `
    let out = ''
    try {
      out = this.m0(input)
    } finally {
      record('finally')
    }
    return out`,
  'a throw on an LLM result inside the try block goes to the catch block': `
    let out = ''
    try {
      const reply = this.m0(input)
      if (reply.length > 12) throw new Error('too long')
      out = this.m1(reply)
    } catch (error) {
      out = 'caught ' + String(error.message).replace(/^.* failed: /, '')
    }
    return out`,
  'a helper that throws on a result is caught, and the first failure in program order wins': `
    let out = ''
    try {
      const parsed = JSON.parse(this.m0(input))
      const second = this.m1(input + ' boom')
      out = parsed + second
    } catch (error) {
      out = String(error.message).replace(/^.* failed: /, '').slice(0, 20)
    }
    return out`,
  'nested try blocks and a try inside a plain loop': `
    let all = ''
    for (const part of ['a', 'boom', input]) {
      let line = ''
      try {
        let inner = ''
        try {
          inner = this.m0(part)
        } catch {
          throw new Error('inner ' + part)
        }
        line = this.m1(inner)
      } catch (error) {
        line = error.message
      }
      all = all + line + ';'
    }
    return all`,
}

describe('compiled try/catch agrees with the sequential reference', () => {
  for (const [name, body] of Object.entries(tryCases)) {
    it(name, async () => {
      const source = program(body)
      const result = compile(source, '/virtual/generated.js')
      expect(result.diagnostics, result.code).toEqual([])
      for (const graph of result.graphs) validateGraph(graph)
      const compiled = load(result.code)
      const reference = load(sequentialReference(source, '/virtual/generated.js', './support.js'))
      const outcomes = new Set<string>()
      for (const input of ['doc', 'boom', 'a longer document', 'xy']) {
        const expected = await run(reference, input)
        const actual = await run(compiled, input)
        expect(actual, `${input}\n${result.code}`).toEqual(expected)
        outcomes.add(expected.error === undefined ? 'value' : 'error')
      }
      // Every case sees a failure for some input: the endpoint fails on `boom`.
      expect(outcomes.size + Number(name.includes('fallback') || name.includes('never run') || name.includes('throw on') || name.includes('helper') || name.includes('nested'))).toBeGreaterThan(1)
    })
  }
})
