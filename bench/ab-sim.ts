/**
 * Builds of plait side by side on S4 without HTTP, in one process, each repetition after a full
 * GC, in a new random order every repetition: resolves per-step differences of a few µs, which S4
 * over HTTP on this machine cannot (see feature-floor.ts). The 20-step chain runs on an endpoint whose
 * `complete()` answers one turn of the event loop later, after walking `MB` megabytes of memory:
 * what happens between two steps over HTTP (the socket, the HTTP client, the SDK) also pushes
 * plait's code and data out of the CPU's caches, and plait's cost per step grows with it (about
 * 52 µs added per step with 0 MB, 68 with 1, 78 with 4 and 98 with 16 on the bench machine). The
 * baseline awaits the same `complete()` directly.
 *   npx tsx bench/ab-sim.ts [--reps=300] [--mb=4] [--mini] <dir> <dir> [<dir> ...]
 * Build each side inside a checkout, so that its imports find node_modules:
 *   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   node /tmp/before/scripts/build.mjs "$PWD/bench/results/before" --js-only
 *   node scripts/build.mjs bench/results/after --js-only
 * Give a build twice (a copy of its folder) to
 * see the noise: their difference should be about 0. `--mini` adds the small runtimes of
 * lib/mini-runtime.ts on the same `complete()`: the lean one and the one with issue 2's features
 * (call sites, limits and abort, ledger), and that one with the checks and bookkeeping of the rest
 * of plait's features: the floor a rebuilt runtime core could reach.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { CompletionRequest } from 'plait/endpoints'
import { chainOnBuild } from './lib/build-chain.js'
import { time } from './lib/interleave.js'
import { leanChain, tracedChain, type Send } from './lib/mini-runtime.js'
import { median } from './lib/stats.js'
import { sampleDoc } from './scenarios/docs.js'
import { S4_STEPS, systemOf } from './scenarios/s4-baseline.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) => Number(args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const reps = option('reps', 300)
const megabytes = option('mb', 4)
const dirs = args.filter((arg) => !arg.startsWith('--'))
const withMini = args.includes('--mini')
if (dirs.length < (withMini ? 1 : 2)) throw new Error('Expected two or more build directories (one with --mini): npx tsx bench/ab-sim.ts [--reps=300] [--mb=4] [--mini] <dir> <dir> [...]')

const memory = new Float64Array((megabytes * 1024 * 1024) / 8)
/** Reads and writes one value per 64-byte line of `memory`. */
const pollute = () => {
  for (let index = 0; index < memory.length; index += 8) memory[index]!++
}
const complete = async (request: CompletionRequest): Promise<{ text: string; model: string }> => {
  await nextTurn()
  pollute()
  return { text: `ok ${request.messages.at(-1)!.content.length}`, model: 'fast' }
}

const baseline = async (text: string): Promise<string> => {
  let value = text
  for (let step = 0; step < S4_STEPS; step++) {
    const messages = [
      { role: 'system' as const, content: systemOf(step) },
      { role: 'user' as const, content: value },
    ]
    value = (await complete({ messages })).text
  }
  return value
}

const sides: Array<{ name: string; run: (text: string) => Promise<string>; perStep: number[] }> = [{ name: 'baseline', run: baseline, perStep: [] }]
for (const dir of dirs) {
  const run = await chainOnBuild(dir, ({ defineEndpoint }) => defineEndpoint({ kind: 'polluting', model: 'fast', maxConcurrent: 8, complete }))
  sides.push({ name: dir, run, perStep: [] })
}
if (withMini) {
  const send: Send = async (body) => {
    const reply = await complete({ messages: body.messages as CompletionRequest['messages'] })
    return { model: reply.model, choices: [{ message: { content: reply.text } }], usage: { prompt_tokens: 0, completion_tokens: 0 } }
  }
  sides.push({ name: 'mini: lean', run: (text) => leanChain(send, text), perStep: [] })
  sides.push({ name: 'mini: call sites, limits, abort, ledger', run: tracedChain(send, { sites: true, limits: true, ledger: true }), perStep: [] })
  sides.push({ name: 'mini: + the rest of plait', run: tracedChain(send, { sites: true, limits: true, ledger: true, rest: true }), perStep: [] })
}
const text = sampleDoc(7)
if (new Set(await Promise.all(sides.map((side) => side.run(text)))).size !== 1) throw new Error('The sides gave different outputs.')
for (let round = 0; round < 30; round++) for (const side of sides) await side.run(text)
for (let rep = 0; rep < reps; rep++) {
  const order = sides.map((side) => ({ side, key: Math.random() })).sort((x, y) => x.key - y.key)
  for (const { side } of order) {
    const { wall } = await time(() => side.run(text))
    side.perStep.push((wall * 1000) / S4_STEPS)
  }
}
const [base, first] = [sides[0]!, sides[1]!]
const paired = (x: number[], y: number[]) => median(x.map((value, index) => value - y[index]!))
console.log(`S4 without HTTP, ${megabytes} MB walked between steps, ${reps} repetitions of each side in random order; µs per step\n`)
console.log(`${'side'.padEnd(40)}${'median'.padStart(9)}${'− baseline'.padStart(12)}${`− ${first.name}`.slice(0, 24).padStart(26)}`)
console.log(`${'baseline'.padEnd(40)}${median(base.perStep).toFixed(1).padStart(9)}`)
for (const side of sides.slice(1)) {
  console.log(`${side.name.slice(-40).padEnd(40)}${median(side.perStep).toFixed(1).padStart(9)}${paired(side.perStep, base.perStep).toFixed(1).padStart(12)}${paired(side.perStep, first.perStep).toFixed(1).padStart(26)}`)
}
