/**
 * Property-based differential test: fast-check generates random forward() programs (module
 * calls, templates, `+`, helpers, method calls, branches on LLM results with assignments and
 * early returns, ternaries, loops with accumulation, `.map` fan-out, side effects), and the
 * compiled run must give the same output and side effects as the plain sequential reference
 * (and as the tracer, for programs it supports). A failure prints the shrunk program.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compile } from '../../plugin/compiler/index.js'
import { load, run } from './harness.js'
import { sequentialReference } from './sequential.js'

type Op =
  | { op: 'call'; module: number; arg: number }
  | { op: 'template'; a: number; b: number }
  | { op: 'plus'; a: number; b: number }
  | { op: 'helper'; a: number }
  | { op: 'method'; a: number; which: number }
  | { op: 'effect'; a: number }
  | { op: 'if'; a: number; module: number; elseModule: number; target: number; withElse: boolean; effect: boolean }
  | { op: 'ternary'; a: number; module: number; b: number }
  | { op: 'loop'; a: number; module: number }
  | { op: 'map'; a: number; b: number; module: number }
  | { op: 'return'; a: number; module: number }
  | { op: 'and'; a: number; module: number }
  | { op: 'forAfter'; a: number; module: number }
  | { op: 'dynmap'; a: number; module: number }
  | { op: 'mapEffect'; a: number; b: number; module: number }
  | { op: 'nested'; a: number; b: number; module: number; target: number }
  | { op: 'nullish'; a: number; module: number }
  | { op: 'classic'; a: number; module: number }
  | { op: 'select'; a: number; b: number }
  | { op: 'elseReturn'; a: number; module: number; target: number }
  | { op: 'throw'; a: number }
  | { op: 'switch'; a: number; module: number; target: number; returns: boolean }
  | { op: 'try'; a: number }
  | { op: 'mapLog'; a: number }
  | { op: 'tryCall'; a: number; module: number; withFinally: boolean }
  | { op: 'tryReturn'; a: number; module: number; catchReturns: boolean; inBranch: boolean }
  | { op: 'whileRounds'; a: number; module: number; bound: number; callInTest: boolean; effect: boolean }

const index = fc.nat(20)
const module = fc.nat(2)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('call' as const), module, arg: index }) },
  fc.record({ op: fc.constant('template' as const), a: index, b: index }),
  fc.record({ op: fc.constant('plus' as const), a: index, b: index }),
  fc.record({ op: fc.constant('helper' as const), a: index }),
  fc.record({ op: fc.constant('method' as const), a: index, which: fc.nat(2) }),
  fc.record({ op: fc.constant('effect' as const), a: index }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('if' as const), a: index, module, elseModule: module, target: index, withElse: fc.boolean(), effect: fc.boolean() }) },
  fc.record({ op: fc.constant('ternary' as const), a: index, module, b: index }),
  fc.record({ op: fc.constant('loop' as const), a: index, module }),
  fc.record({ op: fc.constant('map' as const), a: index, b: index, module }),
  fc.record({ op: fc.constant('return' as const), a: index, module }),
  fc.record({ op: fc.constant('and' as const), a: index, module }),
  fc.record({ op: fc.constant('forAfter' as const), a: index, module }),
  fc.record({ op: fc.constant('dynmap' as const), a: index, module }),
  fc.record({ op: fc.constant('mapEffect' as const), a: index, b: index, module }),
  fc.record({ op: fc.constant('nested' as const), a: index, b: index, module, target: index }),
  fc.record({ op: fc.constant('nullish' as const), a: index, module }),
  fc.record({ op: fc.constant('classic' as const), a: index, module }),
  fc.record({ op: fc.constant('select' as const), a: index, b: index }),
  fc.record({ op: fc.constant('elseReturn' as const), a: index, module, target: index }),
  fc.record({ op: fc.constant('throw' as const), a: index }),
  fc.record({ op: fc.constant('switch' as const), a: index, module, target: index, returns: fc.boolean() }),
  fc.record({ op: fc.constant('try' as const), a: index }),
  fc.record({ op: fc.constant('mapLog' as const), a: index }),
  fc.record({ op: fc.constant('tryCall' as const), a: index, module, withFinally: fc.boolean() }),
  fc.record({ op: fc.constant('tryReturn' as const), a: index, module, catchReturns: fc.boolean(), inBranch: fc.boolean() }),
  fc.record({ op: fc.constant('whileRounds' as const), a: index, module, bound: fc.nat(12), callInTest: fc.boolean(), effect: fc.boolean() }),
)

/** The source of a module class whose forward() runs `ops`. */
function program(ops: Op[]): string {
  const lines: string[] = []
  const vars = ['input']
  const pick = (n: number) => vars[n % vars.length]!
  const fresh = () => {
    const name = `v${vars.length}`
    vars.push(name)
    return name
  }
  // Tests on LLM results: deterministic but varied (lengths of replies differ).
  const test = (name: string) => `${name}.length % 2 === 0`
  for (const item of ops) {
    switch (item.op) {
      case 'call': {
        const arg = pick(item.arg)
        lines.push(`const ${fresh()} = this.m${item.module}(${arg})`)
        break
      }
      case 'template': {
        const [a, b] = [pick(item.a), pick(item.b)]
        lines.push(`const ${fresh()} = \`<\${${a}}|\${${b}}>\``)
        break
      }
      case 'plus': {
        const [a, b] = [pick(item.a), pick(item.b)]
        lines.push(`const ${fresh()} = ${a} + ' + ' + ${b}`)
        break
      }
      case 'helper': {
        const a = pick(item.a)
        lines.push(`const ${fresh()} = shout(${a})`)
        break
      }
      case 'method': {
        const a = pick(item.a)
        lines.push(`const ${fresh()} = ${a}${['.slice(0, 12)', '.toLowerCase()', ".split('(').join('[')"][item.which]}`)
        break
      }
      case 'effect':
        lines.push(`record('effect', ${pick(item.a)})`)
        break
      case 'if': {
        const a = pick(item.a)
        const target = `l${lines.length}`
        lines.push(`let ${target} = ${pick(item.target)}`)
        vars.push(target)
        const then = `${target} = this.m${item.module}(${a})${item.effect ? `; record('then', ${target})` : ''}`
        lines.push(`if (${test(a)}) { ${then} }${item.withElse ? ` else { ${target} = this.m${item.elseModule}(${target}) }` : ''}`)
        break
      }
      case 'ternary': {
        const [a, b] = [pick(item.a), pick(item.b)]
        lines.push(`const ${fresh()} = ${test(a)} ? this.m${item.module}(${a}) : ${b}`)
        break
      }
      case 'loop': {
        const a = pick(item.a)
        const target = fresh()
        lines.push(`let ${target} = ''`)
        lines.push(`for (const part of ['x', 'y']) ${target} += this.m${item.module}(part + ${a})`)
        break
      }
      case 'map': {
        const [a, b] = [pick(item.a), pick(item.b)]
        lines.push(`const ${fresh()} = [${a}, ${b}].map((item) => this.m${item.module}(item)).join(';')`)
        break
      }
      case 'return': {
        const a = pick(item.a)
        lines.push(`if (${test(a)}) return this.m${item.module}(${a})`)
        break
      }
      case 'forAfter': {
        // A loop over an array made from an LLM result, pushing to an outer array: the rest waits for it.
        const a = pick(item.a)
        const list = `list${lines.length}`
        lines.push(`const ${list} = []`)
        lines.push(`for (const piece of String(${a}).split('(')) { ${list}.push(this.m${item.module}(piece)); record('piece', piece) }`)
        lines.push(`const ${fresh()} = ${list}.join('/')`)
        break
      }
      case 'dynmap': {
        const a = pick(item.a)
        lines.push(`const ${fresh()} = String(${a}).split('(').map((piece) => this.m${item.module}(piece)).join('/')`)
        break
      }
      case 'mapEffect': {
        const [a, b] = [pick(item.a), pick(item.b)]
        lines.push(`const ${fresh()} = [${a}, ${b}].map((x) => { record('each', x); return this.m${item.module}(x) }).join(',')`)
        break
      }
      case 'nested': {
        const [a, b] = [pick(item.a), pick(item.b)]
        const target = `n${lines.length}`
        lines.push(`let ${target} = ${pick(item.target)}`)
        vars.push(target)
        lines.push(`if (${test(a)}) { if (${test(b)}) { ${target} = this.m${item.module}(${target}) } else { record('inner else', ${b}) } }`)
        break
      }
      case 'nullish': {
        const a = pick(item.a)
        lines.push(`const ${fresh()} = (${test(a)} ? null : ${a}) ?? this.m${item.module}('null')`)
        break
      }
      case 'classic': {
        // A counted loop whose bound reads an input: the bound resolves first.
        const a = pick(item.a)
        const target = fresh()
        lines.push(`let ${target} = ''`)
        lines.push(`for (let i = 0; i < input.length % 3; i++) { ${target} += this.m${item.module}(${a} + i); record('round', i) }`)
        break
      }
      case 'select': {
        // Destructuring and property access of a value made from results.
        const [a, b] = [pick(item.a), pick(item.b)]
        const target = fresh()
        const size = `size${lines.length}`
        lines.push(`const { first: ${target}, size: ${size} } = { first: ${a}, size: ${b}.length }`)
        lines.push(`record('size', ${size})`)
        break
      }
      case 'elseReturn': {
        const a = pick(item.a)
        const target = `e${lines.length}`
        lines.push(`let ${target} = ${pick(item.target)}`)
        vars.push(target)
        lines.push(`if (${test(a)}) { ${target} = this.m${item.module}(${a}) } else { record('else', ${a}); return [${target}] }`)
        break
      }
      case 'throw': {
        const a = pick(item.a)
        lines.push(`if (${a}.length > 30) throw new Error('long ' + ${a}.length)`)
        break
      }
      case 'switch': {
        const a = pick(item.a)
        const target = `s${lines.length}`
        lines.push(`let ${target} = ${pick(item.target)}`)
        vars.push(target)
        lines.push(`switch (${a}.length % 4) { case 0: ${target} = this.m${item.module}(${a}); break; case 1: case 2: record('one or two', ${a}); ${item.returns ? `return ${target}` : 'break'}; default: ${target} = ${target} + '!' }`)
        break
      }
      case 'tryCall': {
        // A try around calls that fail for some inputs (the endpoint fails on 'boom'), with a
        // side effect after the first call that must not run when it fails.
        const a = pick(item.a)
        const target = `c${lines.length}`
        const reply = `r${lines.length}`
        lines.push(`let ${target} = 'unset'`)
        vars.push(target)
        const final = item.withFinally ? " finally { record('finally') }" : ''
        lines.push(`try { const ${reply} = this.m${item.module}(${a}.length % 2 === 0 ? ${a} + ' boom' : ${a}); record('tried'); ${target} = this.m${(item.module + 1) % 3}(${reply}) } catch (error) { ${target} = 'failed'; record('caught', String(error.message).replace(/^.* failed: /, '')) }${final}`)
        break
      }
      case 'whileRounds': {
        // A while whose test reads a result the loop changes (or calls a module): rounds of
        // conditionals. Replies are longer than their input, so every loop ends.
        const a = pick(item.a)
        const target = `w${lines.length}`
        lines.push(`let ${target} = String(${a}).slice(0, 12)`)
        vars.push(target)
        const test = item.callInTest ? `this.m${item.module}(${target}).length < ${18 + item.bound}` : `${target}.length < ${18 + item.bound}`
        const step = item.callInTest ? `${target} = ${target} + '.'` : `${target} = this.m${item.module}(${target})`
        lines.push(`while (${test}) { ${step}${item.effect ? `; record('round', ${target}.length)` : ''} }`)
        break
      }
      case 'tryReturn': {
        // A try whose block ends in return (and its catch block too, or not), maybe in a branch.
        const a = pick(item.a)
        const reply = `r${lines.length}`
        const caught = item.catchReturns ? "return ['failed']" : "record('fell through')"
        const statement = `try { const ${reply} = this.m${item.module}(${a}.length % 2 === 0 ? ${a} + ' boom' : ${a}); record('tried'); return [this.m${(item.module + 1) % 3}(${reply})] } catch (error) { record('caught', String(error.message).replace(/^.* failed: /, '')); ${caught} }`
        lines.push(item.inBranch ? `if (${test(a)}) { ${statement} }` : statement)
        break
      }
      case 'try': {
        // Code that may throw on a result, caught (no module calls inside the try).
        const a = pick(item.a)
        const target = `t${lines.length}`
        lines.push(`let ${target} = 'unset'`)
        vars.push(target)
        lines.push(`try { ${target} = JSON.parse(${a}.length % 2 === 0 ? JSON.stringify(${a}) : ${a}) } catch { ${target} = 'bad'; record('caught', ${a}) }`)
        break
      }
      case 'mapLog': {
        // A callback with a side effect, on a value made from results (no module calls inside).
        const a = pick(item.a)
        lines.push(`const ${fresh()} = String(${a}).split('(').map((piece) => { record('cb', piece); return piece.length }).join(',')`)
        break
      }
      case 'and': {
        const a = pick(item.a)
        lines.push(`const ${fresh()} = (${test(a)} && this.m${item.module}(${a})) || 'none'`)
        break
      }
    }
  }
  lines.push(`return [${vars.slice(-3).join(', ')}]`)
  return [
    "import { LLMInference, Module } from 'plait'",
    "import { record, shout } from './support.js'",
    'export class Generated extends Module {',
    "  m0 = new LLMInference({ alias: 'main', system: 'A' })",
    "  m1 = new LLMInference({ alias: 'main', system: 'B' })",
    "  m2 = new LLMInference({ alias: 'main', system: 'C' })",
    '  forward(input) {',
    ...lines.map((line) => `    ${line}`),
    '  }',
    '}',
  ].join('\n')
}

describe('property: random forward() programs', () => {
  it('compiled runs match the sequential reference (500 programs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), fc.constantFrom('doc', 'a longer document', 'xy'), async (ops, input) => {
        const source = program(ops)
        const result = compile(source, '/virtual/generated.js')
        const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error')
        expect(errors, source).toEqual([])
        expect(result.graphs.length, source).toBe(1)
        const expected = await run(load(sequentialReference(source, '/virtual/generated.js', './support.js')), input)
        const actual = await run(load(result.code), input)
        // After a failure, work that did not depend on the failed call may already have run its
        // side effects in compiled code; the failure itself must be the same.
        // With several failures, which one is first depends on timing.
        if (expected.error !== undefined) expect(actual.error, `program:\n${source}\n\ncompiled:\n${result.code}`).toBeDefined()
        else expect(actual, `program:\n${source}\n\ncompiled:\n${result.code}`).toEqual(expected)
        // The tracer sees calls, templates, `+` and fan-out, but not branches or helpers on pending values.
        if (ops.every((item) => item.op === 'call' || item.op === 'template' || item.op === 'plus' || item.op === 'map')) {
          expect(await run(load(source), input), `traced:\n${source}`).toEqual(expected)
        }
      }),
      { numRuns: Number(process.env.PLAIT_PROPERTY_RUNS ?? 500) },
    )
  }, 120_000)
})
