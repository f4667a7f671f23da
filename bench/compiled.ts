/**
 * S1, S2 and S4 with compiled forward() (what a build step gives), against the hand-written
 * `openai` SDK baseline and against the traced class, each pair interleaved in one run. Targets
 * are those of the traced scenarios, plus: compiled no slower than traced.
 */
import OpenAI from 'openai'
import { compiledExport } from './lib/compiled.js'
import { checkSameOutput, interleaved, type Contender } from './lib/interleave.js'
import type { MockServerProcess } from './lib/mock-server.js'
import { ms, ratio, signed, us, verdict } from './lib/report.js'
import { median, pairedDifference, pairedRatio, range } from './lib/stats.js'
import { ExtractAndCompare, s1, s1Latency } from './scenarios/s1-extract-compare.js'
import { MapReduce, s2, s2Latency } from './scenarios/s2-map-reduce.js'
import { Chain, S4_STEPS, s4, s4Latency } from './scenarios/s4-chain.js'
import type { Section } from './under-limits.js'

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`)
/** Compiled within 2% of the baseline (S1, S2), under 50 µs per step (S4), and no slower than traced (within noise: paired ratio ≤ 1.01). */
export const COMPILED_TARGETS = { ratio: 1.02, chainStepUs: 50, versusTraced: 1.01 }

async function pair(name: string, contender: Contender<string>, reps: number) {
  await checkSameOutput(name, contender)
  const samples = await interleaved(contender, { warmup: 2, reps })
  return { ...samples, plaitMedian: median(samples.plait), baselineMedian: median(samples.baseline), paired: pairedRatio(samples.plait, samples.baseline) }
}

const spread = (samples: number[]) => {
  const { min, max } = range(samples)
  return `${min.toFixed(1)}–${max.toFixed(1)}`
}

/**
 * Runs the compiled scenarios; `reps` and `chainReps` as for the traced ones.
 *
 * @example
 * ```ts
 * const section = await compiledSection(server, 15, 40)
 * ```
 */
export async function compiledSection(server: MockServerProcess, reps: number, chainReps: number): Promise<Section> {
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 })
  const section: Section = { rows: [], spreads: [], notes: [] }
  const scenarios = [
    { name: 'S1 extract and compare', latency: s1Latency, reps, traced: (Class?: typeof ExtractAndCompare) => s1(server.url, client, Class), compiled: await compiledExport<typeof ExtractAndCompare>(new URL('./scenarios/s1-extract-compare.ts', import.meta.url), 'ExtractAndCompare') },
    { name: 'S2 map-reduce', latency: s2Latency, reps, traced: (Class?: typeof MapReduce) => s2(server.url, client, Class), compiled: await compiledExport<typeof MapReduce>(new URL('./scenarios/s2-map-reduce.ts', import.meta.url), 'MapReduce') },
    { name: 'S4 chain', latency: s4Latency, reps: chainReps, traced: (Class?: typeof Chain) => s4(server.url, client, Class), compiled: await compiledExport<typeof Chain>(new URL('./scenarios/s4-chain.ts', import.meta.url), 'Chain') },
  ] as const
  for (const scenario of scenarios) {
    await server.setLatency(scenario.latency)
    progress(`${scenario.name} compiled: vs the SDK baseline, then vs traced, ${scenario.reps} interleaved repetitions each`)
    const compiledSide = scenario.traced(scenario.compiled as never)
    const tracedSide = scenario.traced()
    const vsBaseline = await pair(`${scenario.name} compiled`, compiledSide, scenario.reps)
    const vsTraced = await pair(`${scenario.name} compiled vs traced`, { plait: compiledSide.plait, baseline: tracedSide.plait }, scenario.reps)
    const chain = scenario.name.startsWith('S4')
    const perStepUs = (pairedDifference(vsBaseline.plait, vsBaseline.baseline) * 1000) / S4_STEPS
    const againstTarget = chain ? `${signed(us(perStepUs), perStepUs)}/step added (target < ${COMPILED_TARGETS.chainStepUs} µs)` : `≤ ${COMPILED_TARGETS.ratio}× baseline`
    const meetsBaseline = chain ? perStepUs < COMPILED_TARGETS.chainStepUs : vsBaseline.plaitMedian / vsBaseline.baselineMedian <= COMPILED_TARGETS.ratio
    section.rows.push([
      `${scenario.name}, compiled forward()`,
      ms(vsBaseline.plaitMedian),
      ms(vsBaseline.baselineMedian),
      ratio(vsBaseline.plaitMedian / vsBaseline.baselineMedian),
      `${ms(vsTraced.baselineMedian)} (paired ${ratio(vsTraced.paired)})`,
      `${againstTarget}; ≤ ${COMPILED_TARGETS.versusTraced}× traced`,
      verdict(meetsBaseline && vsTraced.paired <= COMPILED_TARGETS.versusTraced),
    ])
    section.spreads.push([`${scenario.name} compiled`, spread(vsBaseline.plait), spread(vsBaseline.baseline), ratio(vsBaseline.paired), `${median(vsBaseline.plaitCpu).toFixed(1)} / ${median(vsBaseline.baselineCpu).toFixed(1)}`, String(scenario.reps)])
    section.spreads.push([`${scenario.name} compiled vs traced`, spread(vsTraced.plait), spread(vsTraced.baseline), ratio(vsTraced.paired), `${median(vsTraced.plaitCpu).toFixed(1)} / ${median(vsTraced.baselineCpu).toFixed(1)}`, String(scenario.reps)])
  }
  return section
}
