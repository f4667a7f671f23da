/**
 * `npm run bench`: plait side by side with hand-written `openai` SDK code in one run, against a
 * local mock OpenAI-compatible server; plus per-node cost on a synthetic graph, import time and
 * retained heap. Prints a Markdown table and writes bench/results/latest.md. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, platform, release } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { buildPackage } from './build.js'
import { heapRetained } from './heap.js'
import { importTimes, sdkChecks } from './import-time.js'
import { checkSameOutput, interleaved, type Contender, type Samples } from './lib/interleave.js'
import { repoRoot, startMockServerProcess } from './lib/mock-server.js'
import { kb, ms, ratio, signed, table, us, verdict } from './lib/report.js'
import { median, range } from './lib/stats.js'
import { s1, s1Latency } from './scenarios/s1-extract-compare.js'
import { S2_DOCS, s2, s2Latency } from './scenarios/s2-map-reduce.js'
import { S4_STEPS, s4, s4Latency } from './scenarios/s4-chain.js'
import { shapes, synthetic, tracedNodes } from './scenarios/synthetic.js'

const REPS = Number(process.env['BENCH_REPS'] ?? 9)
const HEAP_RUNS = Number(process.env['BENCH_HEAP_RUNS'] ?? 50)
const IMPORT_REPS = Number(process.env['BENCH_IMPORT_REPS'] ?? 9)
const TARGETS = { ratio: 1.02, chainStepUs: 50, nodeUs: 20, importMs: 50, heapKbPerRun: 100 }

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`)
const benchStarted = performance.now()
const rows: string[][] = []
const spreads: string[][] = []
const notes: string[] = []

const spread = (name: string, samples: Samples) => {
  const [p, b] = [range(samples.plait), range(samples.baseline)]
  spreads.push([name, `${p.min.toFixed(1)}–${p.max.toFixed(1)}`, `${b.min.toFixed(1)}–${b.max.toFixed(1)}`, String(samples.plait.length)])
}

async function measure<T>(name: string, contender: Contender<T>, reps: number): Promise<{ plait: number; baseline: number }> {
  progress(`${name}: checking both sides agree, warming up, ${reps} interleaved repetitions`)
  await checkSameOutput(name, contender)
  const samples = await interleaved(contender, { warmup: 2, reps })
  spread(name, samples)
  return { plait: median(samples.plait), baseline: median(samples.baseline) }
}

const server = await startMockServerProcess()
const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 })
try {
  // S1 and S2: wall time within 2% of the baseline.
  await server.setLatency(s1Latency)
  const r1 = await measure('S1 extract and compare', s1(server.url, client), REPS)
  rows.push([
    'S1 extract and compare: 2 × fast (100 ms) in parallel → smart (200 ms)',
    ms(r1.plait),
    ms(r1.baseline),
    ratio(r1.plait / r1.baseline),
    `≤ ${TARGETS.ratio}× baseline`,
    verdict(r1.plait / r1.baseline <= TARGETS.ratio),
  ])

  await server.setLatency(s2Latency)
  const r2 = await measure('S2 map-reduce', s2(server.url, client), REPS)
  rows.push([
    `S2 map-reduce: ${S2_DOCS} × fast (100 ms) → smart (200 ms) over all`,
    ms(r2.plait),
    ms(r2.baseline),
    ratio(r2.plait / r2.baseline),
    `≤ ${TARGETS.ratio}× baseline`,
    verdict(r2.plait / r2.baseline <= TARGETS.ratio),
  ])

  // S4: added overhead per step of a chain.
  await server.setLatency(s4Latency)
  const r4 = await measure('S4 chain', s4(server.url, client), REPS * 2)
  const perStepUs = ((r4.plait - r4.baseline) * 1000) / S4_STEPS
  rows.push([
    `S4 chain of ${S4_STEPS} × fast (5 ms)`,
    ms(r4.plait),
    ms(r4.baseline),
    ratio(r4.plait / r4.baseline),
    `${signed(us(perStepUs), perStepUs)}/step added (target < ${TARGETS.chainStepUs} µs)`,
    verdict(perStepUs < TARGETS.chainStepUs),
  ])

  // Synthetic graphs on a zero-latency simulated endpoint.
  for (const shape of shapes) {
    const contender = synthetic(shape)
    const result = await measure(`synthetic ${shape.name}`, contender, REPS)
    const nodes = contender.nodes()
    const perNode = (result.plait * 1000) / nodes
    const traced = tracedNodes(shape)
    rows.push([
      `Synthetic ${shape.description}: ${nodes.toLocaleString('en-US')} nodes, simulated() 0 ms`,
      `${ms(result.plait)} (${us(perNode)}/node)`,
      ms(result.baseline),
      ratio(result.plait / result.baseline),
      `${us(perNode)}/node (target < ${TARGETS.nodeUs} µs); overhead ${us(((result.plait - result.baseline) * 1000) / nodes)}/node`,
      verdict(perNode < TARGETS.nodeUs),
    ])
    notes.push(
      `Synthetic ${shape.name}: a run makes ${nodes} nodes; module.graph() traces ${Object.entries(traced).map(([kind, count]) => `${count} ${kind}`).join(' + ')} (the tracer treats the input as pending, so the first template of each chain is a render there and plain text in a run).`,
    )
  }

  // Heap retained by S1.
  await server.setLatency(s1Latency)
  progress(`heap: ${HEAP_RUNS} sequential S1 runs per side in child processes (--expose-gc)`)
  const heap = await heapRetained(server.url, HEAP_RUNS)
  const perRun = (side: typeof heap.plait) => (side.after - side.before) / side.runs
  rows.push([
    `Heap retained by S1 after it finishes (${HEAP_RUNS} runs, after full GC)`,
    `${kb(perRun(heap.plait))}/run (${kb(heap.plait.after - heap.plait.before)} total)`,
    `${kb(perRun(heap.baseline))}/run (${kb(heap.baseline.after - heap.baseline.before)} total)`,
    '—',
    `< ${TARGETS.heapKbPerRun} KB/run`,
    verdict(perRun(heap.plait) / 1024 < TARGETS.heapKbPerRun),
  ])
  notes.push(
    `Heap (heapUsed after full GCs): plait ${kb(heap.plait.before)} → ${kb(heap.plait.middle)} (after ${Math.floor(HEAP_RUNS / 2)} runs) → ${kb(heap.plait.after)}; baseline ${kb(heap.baseline.before)} → ${kb(heap.baseline.middle)} → ${kb(heap.baseline.after)}.`,
  )
} finally {
  await server.close()
}

// Import time of the built package, and whether it loads the SDK.
progress('import: building the package into bench/results/build (tsc -p tsconfig.build.json)')
const build = await buildPackage()
if (build.warning) notes.push(build.warning)
progress(`import: ${IMPORT_REPS} fresh processes per case`)
const imports = await importTimes(IMPORT_REPS)
const sdk = await sdkChecks()
rows.push([
  'Import `plait` (built, fresh process, `await import()` only)',
  ms(imports.plait.median),
  `openai SDK alone: ${ms(imports['openai SDK alone'].median)}`,
  '—',
  `< ${TARGETS.importMs} ms`,
  verdict(imports.plait.median < TARGETS.importMs),
])
rows.push(['Import `plait` + `plait/endpoints`', ms(imports['plait + plait/endpoints'].median), '—', '—', 'for information', '—'])
const sdkOk = sdk.every((check) => (check.sdkFiles > 0) === check.expectLoaded)
rows.push([
  '`openai` SDK not loaded by importing plait, plait/endpoints, or creating an openai() endpoint',
  sdk.filter((check) => !check.expectLoaded).every((check) => check.sdkFiles === 0) ? 'not loaded' : 'LOADED',
  '—',
  '—',
  'not loaded (control import sees it)',
  verdict(sdkOk),
])

const totalSeconds = (performance.now() - benchStarted) / 1000
const cpu = cpus()
const environment = `${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${platform()} ${release()} · ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`
const output = [
  `## plait bench — ${environment}`,
  '',
  `Medians of ${REPS} interleaved repetitions (S4: ${REPS * 2}) after a warm-up, on loopback against a mock OpenAI-compatible server in its own process. Baseline: the \`openai\` SDK directly (\`Promise.all\` for independent calls, sequential awaits in chains).`,
  '',
  table(['Scenario', 'plait', 'baseline', 'plait / baseline', 'Measured against target', 'Result'], rows),
  '',
  '### Spread (min–max, ms)',
  '',
  table(['Scenario', 'plait', 'baseline', 'repetitions'], spreads),
  '',
  '### `openai` SDK loading (resolve hook in a fresh process)',
  '',
  table(
    ['What the process did', 'modules resolved', 'files under node_modules/openai', 'expected'],
    sdk.map((check) => [check.what, String(check.resolved), String(check.sdkFiles), check.expectLoaded ? 'loaded' : 'not loaded']),
  ),
  '',
  '### Notes',
  '',
  ...notes.map((note) => `- ${note}`),
  `- Import samples (ms): plait ${imports.plait.samples.map((value) => value.toFixed(1)).join(', ')}; plait + endpoints ${imports['plait + plait/endpoints'].samples.map((value) => value.toFixed(1)).join(', ')}; openai alone ${imports['openai SDK alone'].samples.map((value) => value.toFixed(1)).join(', ')}.`,
  `- Build for the import measurement took ${(build.ms / 1000).toFixed(1)} s; whole bench ${totalSeconds.toFixed(0)} s.`,
  '',
].join('\n')

process.stdout.write(`${output}\n`)
const resultsDir = join(repoRoot, 'bench', 'results')
mkdirSync(resultsDir, { recursive: true })
writeFileSync(join(resultsDir, 'latest.md'), output)
progress(`wrote ${join('bench', 'results', 'latest.md')}`)
