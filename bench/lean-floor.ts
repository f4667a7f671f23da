/**
 * The floor of a dataflow runtime on S4 over HTTP: what the least a plait-like runtime could add
 * per step, for judging a redesign of plait's own. A plain graph of 20 nodes is built up front (one
 * object each, dependents listed) and each node sends its request the moment its input has
 * resolved, with one `then` on the SDK's promise; no futures, limiter, ledger, records or call
 * sites. Against the SDK baseline as client time (wall minus time inside `fetch`), interleaved,
 * a full GC before each repetition (`BENCH_NO_GC=1` leaves it out).
 *   npx tsx bench/lean-floor.ts [reps=80]
 * `LEAN_SIGNAL=1` passes the run's `AbortSignal` to every request, as a runtime that can abort
 * must: the SDK adds a listener to it per request.
 */
import OpenAI from 'openai'
import { time } from './lib/interleave.js'
import { startMockServerProcess } from './lib/mock-server.js'
import { median } from './lib/stats.js'
import { sampleDoc } from './scenarios/docs.js'
import { chain, S4_STEPS, s4Latency, systemOf, timingFetch } from './scenarios/s4-baseline.js'

const reps = Number(process.argv[2] ?? '80')
const passSignal = process.env['LEAN_SIGNAL'] === '1'
let inFetch = 0
const timedFetch = timingFetch((ms) => (inFetch += ms))

interface LeanNode {
  step: number
  input: LeanNode | undefined
  dependents: LeanNode[]
  value: string | undefined
}

/** One run of the graph: starts a node when its input is there, resolves with the last value. */
class LeanRun {
  readonly controller = new AbortController()
  remaining: number
  constructor(
    readonly client: OpenAI,
    readonly text: string,
    readonly nodes: LeanNode[],
    readonly resolve: (value: string) => void,
  ) {
    this.remaining = nodes.length
  }

  start(node: LeanNode): void {
    const input = node.input === undefined ? this.text : node.input.value!
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: systemOf(node.step) },
      { role: 'user', content: input },
    ]
    this.client.chat.completions.create({ model: 'fast', messages }, passSignal ? { signal: this.controller.signal } : undefined).then((completion) => {
      node.value = completion.choices[0]!.message.content!
      for (const dependent of node.dependents) this.start(dependent)
      if (--this.remaining === 0) this.resolve(node.value)
    })
  }
}

/** The chain as a lean runtime would run it: the graph first, then dataflow. */
const leanChain = (client: OpenAI, text: string): Promise<string> => {
  const nodes: LeanNode[] = []
  let previous: LeanNode | undefined
  for (let step = 0; step < S4_STEPS; step++) {
    const node: LeanNode = { step, input: previous, dependents: [], value: undefined }
    previous?.dependents.push(node)
    nodes.push(node)
    previous = node
  }
  return new Promise((resolve) => new LeanRun(client, text, nodes, resolve).start(nodes[0]!))
}

const server = await startMockServerProcess()
try {
  await server.setLatency(s4Latency)
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0, fetch: timedFetch })
  const sides = { lean: (text: string) => leanChain(client, text), baseline: (text: string) => chain(client, text) }
  const text = sampleDoc(7)
  if ((await sides.lean(text)) !== (await sides.baseline(text))) throw new Error('The lean chain and the baseline gave different outputs.')
  for (let round = 0; round < 3; round++) for (const run of Object.values(sides)) await run(text)
  const perStep = { lean: [] as number[], baseline: [] as number[] }
  for (let rep = 0; rep < reps; rep++) {
    for (const side of rep % 2 === 0 ? (['lean', 'baseline'] as const) : (['baseline', 'lean'] as const)) {
      inFetch = 0
      const { wall } = await time(() => sides[side](text))
      perStep[side].push(((wall - inFetch) * 1000) / S4_STEPS)
    }
  }
  const added = median(perStep.lean.map((value, index) => value - perStep.baseline[index]!))
  console.log(`S4 client time, ${reps} pairs${passSignal ? ', the run signal passed to each request' : ''}: baseline ${median(perStep.baseline).toFixed(1)} µs/step; lean runtime − baseline ${added.toFixed(1)} µs/step (paired median)`)
} finally {
  await server.close()
}
