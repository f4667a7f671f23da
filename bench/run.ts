/**
 * `npm run bench`: plait side by side with hand-written `openai` SDK code in one run, against a
 * local mock OpenAI-compatible server; plus per-node cost on a synthetic graph, import time and
 * retained heap. Prints a Markdown table and writes bench/results/latest.md. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, platform, release } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { baselineAlone } from './baseline-alone.js'
import { compiledSection } from './compiled.js'
import { compileTimes } from './compile-time.js'
import { buildPackage } from './build.js'
import { heapRetained } from './heap.js'
import { importTimes, sdkChecks } from './import-time.js'
import { checkSameOutput, interleaved, type Contender, type Samples } from './lib/interleave.js'
import { repoRoot, startMockServerProcess } from './lib/mock-server.js'
import { kb, ms, ratio, signed, table, us, verdict } from './lib/report.js'
import { median, pairedDifference, pairedRatio, range } from './lib/stats.js'
import { s1, s1Latency } from './scenarios/s1-extract-compare.js'
import { S2_DOCS, s2, s2Latency } from './scenarios/s2-map-reduce.js'
import { S4_STEPS, s4, s4Latency, s4Timed } from './scenarios/s4-chain.js'
import { s4Simulated } from './scenarios/s4-simulated.js'
import { shapes, synthetic, tracedNodes } from './scenarios/synthetic.js'
import { batchScaling, SCALING_SIZES } from './scenarios/batch-scaling.js'
import { prioritySection, s3Section, soakSection, type Section } from './under-limits.js'

const REPS = Number(process.env['BENCH_REPS'] ?? 30)
const CHAIN_REPS = Number(process.env['BENCH_CHAIN_REPS'] ?? 80)
const SYNTHETIC_REPS = Number(process.env['BENCH_SYNTHETIC_REPS'] ?? 7)
const SIMULATED_CHAIN_REPS = 150
const HEAP_RUNS = Number(process.env['BENCH_HEAP_RUNS'] ?? 50)
const IMPORT_REPS = Number(process.env['BENCH_IMPORT_REPS'] ?? 21)
const S3_REPS = Number(process.env['BENCH_S3_REPS'] ?? 3)
const PRIORITY_REPS = Number(process.env['BENCH_PRIORITY_REPS'] ?? 5)
const SCALING_REPS = 3

// BENCH_ONLY=s3,priority,soak runs only those parts (comma-separated); all of them by default.
const PARTS = ['s1', 's2', 's4', 'compiled', 'compile', 'synthetic', 'scaling', 'heap', 'import', 's3', 'priority', 'soak'] as const
type Part = (typeof PARTS)[number]
const only = process.env['BENCH_ONLY']?.split(',').map((part) => part.trim()).filter((part) => part !== '')
const unknownParts = (only ?? []).filter((part) => !(PARTS as readonly string[]).includes(part))
if (unknownParts.length > 0) throw new Error(`BENCH_ONLY: unknown part ${unknownParts.join(', ')}; expected some of ${PARTS.join(', ')}.`)
const want = (part: Part): boolean => only === undefined || only.length === 0 || only.includes(part)
const TARGETS = { ratio: 1.02, chainStepUs: 50, nodeUs: 20, importMs: 50, heapKbPerRun: 100, compileMs: 2, scaling: 1.5 }

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`)
const benchStarted = performance.now()
const loadAtStart = loadavg()[0]!
const rows: string[][] = []
const spreads: string[][] = []
const alone: string[][] = []
const notes: string[] = []
const limitRows: string[][] = []

async function measure<T>(name: string, contender: Contender<T>, reps: number, gc?: boolean): Promise<Samples & { plaitMedian: number; baselineMedian: number }> {
  progress(`${name}: checking both sides agree, warming up, ${reps} interleaved repetitions`)
  await checkSameOutput(name, contender)
  const samples = await interleaved(contender, { warmup: 2, reps, gc })
  const [p, b] = [range(samples.plait), range(samples.baseline)]
  spreads.push([
    name,
    `${p.min.toFixed(1)}–${p.max.toFixed(1)}`,
    `${b.min.toFixed(1)}–${b.max.toFixed(1)}`,
    ratio(pairedRatio(samples.plait, samples.baseline)),
    `${median(samples.plaitCpu).toFixed(1)} / ${median(samples.baselineCpu).toFixed(1)}`,
    String(reps),
  ])
  return { ...samples, plaitMedian: median(samples.plait), baselineMedian: median(samples.baseline) }
}

/**
 * S4 as client time (each side's wall time minus its time inside `fetch`, see `s4Timed`), per
 * repetition, and the median paired difference per step in µs; each repetition after a full GC
 * unless `gc` is false.
 */
async function s4ClientTime(baseURL: string, gc?: boolean): Promise<{ plait: number[]; baseline: number[]; perStepUs: number }> {
  const timed = s4Timed(baseURL)
  const samples = await measure(gc === false ? 'S4 chain, client time, no forced GC' : 'S4 chain, client time', timed.contender, CHAIN_REPS, gc)
  // The fetch times include the warm-up's: the last ones belong to the timed repetitions.
  const clientTime = (walls: number[], inFetch: number[]) => walls.map((wall, index) => wall - inFetch[inFetch.length - walls.length + index]!)
  const plait = clientTime(samples.plait, timed.inFetch.plait)
  const baseline = clientTime(samples.baseline, timed.inFetch.baseline)
  return { plait, baseline, perStepUs: (pairedDifference(plait, baseline) * 1000) / S4_STEPS }
}

/** The side-by-side baseline against the same baseline in a process where plait never ran. */
function compareAlone(name: string, samples: Samples & { plaitMedian: number }, result: { wall: number; cpu: number } | undefined): void {
  if (!result) return
  alone.push([
    name,
    `${ms(median(samples.baseline))} / ${ms(median(samples.baselineCpu))}`,
    `${ms(result.wall)} / ${ms(result.cpu)}`,
    ratio(samples.plaitMedian / result.wall),
  ])
}

if (want('s1') || want('s2') || want('s4') || want('synthetic') || want('heap')) await sideBySide()

async function sideBySide(): Promise<void> {
  const server = await startMockServerProcess()
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 })
  try {
    // S1 and S2: wall time within 2% of the baseline.
    let r1: Awaited<ReturnType<typeof measure<string>>> | undefined
    let r2: Awaited<ReturnType<typeof measure<string>>> | undefined
    if (want('s1')) {
      await server.setLatency(s1Latency)
      r1 = await measure('S1 extract and compare', s1(server.url, client), REPS)
      rows.push([
        'S1 extract and compare: 2 × fast (100 ms) in parallel → smart (200 ms)',
        ms(r1.plaitMedian),
        ms(r1.baselineMedian),
        ratio(r1.plaitMedian / r1.baselineMedian),
        `≤ ${TARGETS.ratio}× baseline`,
        verdict(r1.plaitMedian / r1.baselineMedian <= TARGETS.ratio),
      ])
    }

    if (want('s2')) {
      await server.setLatency(s2Latency)
      r2 = await measure('S2 map-reduce', s2(server.url, client), REPS)
      rows.push([
        `S2 map-reduce: ${S2_DOCS} × fast (100 ms) → smart (200 ms) over all`,
        ms(r2.plaitMedian),
        ms(r2.baselineMedian),
        ratio(r2.plaitMedian / r2.baselineMedian),
        `≤ ${TARGETS.ratio}× baseline`,
        verdict(r2.plaitMedian / r2.baselineMedian <= TARGETS.ratio),
      ])
    }
    if (r1 || r2) {
      const which = [...(r1 ? ['s1'] : []), ...(r2 ? ['s2'] : [])]
      progress(`${which.join(', ').toUpperCase()}: baselines alone in a fresh process, ${REPS} repetitions each`)
      const alone12 = await baselineAlone(server.url, REPS, which)
      if (r1) compareAlone('S1 extract and compare', r1, alone12['s1'])
      if (r2) compareAlone('S2 map-reduce', r2, alone12['s2'])
    }

    // S4: added overhead per step of a chain, from paired differences (each plait repetition minus
    // the baseline repetition right after it): the difference of two medians is too noisy for µs.
    if (want('s4')) {
      await server.setLatency(s4Latency)
      const r4 = await measure('S4 chain', s4(server.url, client), CHAIN_REPS)
      const perStepUs = (pairedDifference(r4.plait, r4.baseline) * 1000) / S4_STEPS
      const perStepCpuUs = (pairedDifference(r4.plaitCpu, r4.baselineCpu) * 1000) / S4_STEPS
      rows.push([
        `S4 chain of ${S4_STEPS} × fast (5 ms)`,
        ms(r4.plaitMedian),
        ms(r4.baselineMedian),
        ratio(r4.plaitMedian / r4.baselineMedian),
        `${signed(us(perStepUs), perStepUs)}/step added (target < ${TARGETS.chainStepUs} µs)`,
        verdict(perStepUs < TARGETS.chainStepUs),
      ])
      notes.push(
        `S4 per step: median paired wall difference ${signed(us(perStepUs), perStepUs)}; difference of medians ${us(((r4.plaitMedian - r4.baselineMedian) * 1000) / S4_STEPS)}; client CPU added ${signed(us(perStepCpuUs), perStepCpuUs)}/step.`,
      )
      // The same chain with a timing fetch on both sides: the client's own time (wall minus time
      // inside fetch) per repetition, without the server's latency and its wander.
      const clientRow = (label: string, client: Awaited<ReturnType<typeof s4ClientTime>>, judged: boolean): string[] => [
        label,
        `${ms(median(client.plait))} (${us((median(client.plait) * 1000) / S4_STEPS)}/step)`,
        `${ms(median(client.baseline))} (${us((median(client.baseline) * 1000) / S4_STEPS)}/step)`,
        ratio(median(client.plait) / median(client.baseline)),
        `${signed(us(client.perStepUs), client.perStepUs)}/step added (target < ${TARGETS.chainStepUs} µs)`,
        judged ? verdict(client.perStepUs < TARGETS.chainStepUs) : '—',
      ]
      rows.push(clientRow(`S4 chain, client time: the same runs with a timing fetch on both sides, wall minus time inside fetch`, await s4ClientTime(server.url), true))
      // The same without the full GC before each repetition, as a process that runs one chain after
      // another would: the GC drops what V8 learned about per-run objects (see bench/README.md).
      rows.push(clientRow(`S4 chain, client time, without the forced GC before each repetition (for information)`, await s4ClientTime(server.url, false), false))
      progress(`S4: baseline alone in a fresh process, ${CHAIN_REPS} repetitions`)
      compareAlone('S4 chain', r4, (await baselineAlone(server.url, CHAIN_REPS, ['s4']))['s4'])

      // S4 without HTTP: the runtime's own cost per step, resolvable to a few µs.
      const r4s = await measure('S4 chain on simulated() 0 ms', s4Simulated(), SIMULATED_CHAIN_REPS)
      const perStepSimUs = (pairedDifference(r4s.plait, r4s.baseline) * 1000) / S4_STEPS
      rows.push([
        `S4 without HTTP: the same chain on simulated() 0 ms vs its complete() awaited directly`,
        `${ms(r4s.plaitMedian)} (${us((r4s.plaitMedian * 1000) / S4_STEPS)}/step)`,
        `${ms(r4s.baselineMedian)} (${us((r4s.baselineMedian * 1000) / S4_STEPS)}/step)`,
        ratio(r4s.plaitMedian / r4s.baselineMedian),
        `${signed(us(perStepSimUs), perStepSimUs)}/step added by the runtime (diagnostic for S4)`,
        '—',
      ])
    }

    // Synthetic graphs on a zero-latency simulated endpoint.
    for (const shape of want('synthetic') ? shapes : []) {
      const contender = synthetic(shape)
      const result = await measure(`synthetic ${shape.name}`, contender, SYNTHETIC_REPS)
      const nodes = contender.nodes()
      const perNode = (result.plaitMedian * 1000) / nodes
      const traced = tracedNodes(shape)
      rows.push([
        `Synthetic ${shape.description}: ${nodes.toLocaleString('en-US')} nodes, simulated() 0 ms`,
        `${ms(result.plaitMedian)} (${us(perNode)}/node)`,
        ms(result.baselineMedian),
        ratio(result.plaitMedian / result.baselineMedian),
        `${us(perNode)}/node (target < ${TARGETS.nodeUs} µs); overhead ${us(((result.plaitMedian - result.baselineMedian) * 1000) / nodes)}/node`,
        verdict(perNode < TARGETS.nodeUs),
      ])
      notes.push(
        `Synthetic ${shape.name}: a run makes ${nodes} nodes; module.graph() traces ${Object.entries(traced)
          .map(([kind, count]) => `${count} ${kind}`)
          .join(' + ')} (the tracer treats the input as pending, so the first template of each chain is a render there and plain text in a run).`,
      )
    }

    // Heap retained by S1.
    if (want('heap')) {
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
    }
  } finally {
    await server.close()
  }
}

// S1, S2 and S4 with compiled forward(): against the baseline and against traced.
const compiledRows: string[][] = []
if (want('compiled')) {
  const server = await startMockServerProcess()
  try {
    const section = await compiledSection(server, REPS, CHAIN_REPS)
    compiledRows.push(...section.rows)
    spreads.push(...section.spreads)
    notes.push(...section.notes)
  } finally {
    await server.close()
  }
}

// Batch scaling: time per item of a small and a large batch.
if (want('scaling')) {
  const [small, large] = SCALING_SIZES
  progress(`scaling: batches of ${small} and ${large} one-call items on simulated() 0 ms, ${SCALING_REPS} each`)
  const perItem = await batchScaling(SCALING_REPS)
  const growth = perItem[large]! / perItem[small]!
  rows.push([
    `Batch scaling: time per item of one batch() of ${large.toLocaleString('en-US')} one-call items against one of ${small.toLocaleString('en-US')}, simulated() 0 ms (medians of ${SCALING_REPS})`,
    `${us(perItem[large]! * 1000)}/item`,
    `${us(perItem[small]! * 1000)}/item`,
    ratio(growth),
    `≤ ${TARGETS.scaling}× (linear in the batch's size)`,
    verdict(growth <= TARGETS.scaling),
  ])
}

// Compile time per forward() over the fixture corpus.
if (want('compile')) {
  progress('compile: every compiler fixture, 20 warm-up rounds, 30 timed rounds')
  const times = compileTimes({ warmup: 20, rounds: 30 })
  rows.push([
    `Compile time per forward(): ${times.files} fixture files, ${times.forwards} forward() methods, 30 rounds (median, p90 in brackets)`,
    `${times.medianMs.toFixed(2)} ms (${times.p90Ms.toFixed(2)} ms)`,
    '—',
    '—',
    `median < ${TARGETS.compileMs} ms`,
    verdict(times.medianMs < TARGETS.compileMs),
  ])
}

// Under endpoint limits: a server process of their own that keeps a request log.
if (want('s3') || want('priority') || want('soak')) {
  const server = await startMockServerProcess({ log: true })
  try {
    const sections: Section[] = []
    if (want('s3')) sections.push(await s3Section(server, S3_REPS))
    if (want('priority')) sections.push(await prioritySection(server, PRIORITY_REPS))
    if (want('soak')) sections.push(await soakSection(server))
    for (const section of sections) {
      limitRows.push(...section.rows)
      spreads.push(...section.spreads)
      notes.push(...section.notes)
    }
  } finally {
    await server.close()
  }
}

// Import time of the built package, and whether it loads the SDK.
const importNotes: string[] = []
let sdk: Awaited<ReturnType<typeof sdkChecks>> = []
if (want('import')) {
  progress('import: building the package into bench/results/build (tsc -p tsconfig.build.json)')
  const build = await buildPackage()
  if (build.warning) notes.push(build.warning)
  progress(`import: ${IMPORT_REPS} fresh processes per case`)
  const imports = await importTimes(IMPORT_REPS)
  sdk = await sdkChecks()
  const fastest = (samples: number[]) => ms(Math.min(...samples))
  rows.push([
    'Import `plait` (built, fresh process, `await import()` only; median, min in brackets)',
    `${ms(imports.plait.median)} (${fastest(imports.plait.samples)})`,
    `openai SDK alone: ${ms(imports['openai SDK alone'].median)} (${fastest(imports['openai SDK alone'].samples)})`,
    '—',
    `< ${TARGETS.importMs} ms`,
    verdict(imports.plait.median < TARGETS.importMs),
  ])
  rows.push([
    'Import `plait` + `plait/endpoints`',
    `${ms(imports['plait + plait/endpoints'].median)} (${fastest(imports['plait + plait/endpoints'].samples)})`,
    '—',
    '—',
    'for information',
    '—',
  ])
  const sdkOk = sdk.every((check) => (check.sdkFiles > 0) === check.expectLoaded)
  rows.push([
    '`openai` SDK not loaded by importing plait, plait/endpoints, or creating an openai() endpoint',
    sdk.filter((check) => !check.expectLoaded).every((check) => check.sdkFiles === 0) ? 'not loaded' : 'LOADED',
    '—',
    '—',
    'not loaded (control import sees it)',
    verdict(sdkOk),
  ])
  importNotes.push(
    `Import samples (ms): plait ${imports.plait.samples.map((value) => value.toFixed(1)).join(', ')}; plait + endpoints ${imports['plait + plait/endpoints'].samples.map((value) => value.toFixed(1)).join(', ')}; openai alone ${imports['openai SDK alone'].samples.map((value) => value.toFixed(1)).join(', ')}.`,
    `Build for the import measurement took ${(build.ms / 1000).toFixed(1)} s.`,
  )
}

const totalSeconds = (performance.now() - benchStarted) / 1000
const cpu = cpus()
const environment = `${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${platform()} ${release()} · ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'} · load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`
const section = (title: string, ...body: string[]): string[] => ['', `### ${title}`, '', ...body]
const output = [
  `## plait bench — ${environment}`,
  ...(only === undefined || only.length === 0 ? [] : ['', `Only: ${only.join(', ')} (BENCH_ONLY).`]),
  ...(rows.length === 0
    ? []
    : [
        '',
        `plait ${process.env['BENCH_PACKAGE'] === undefined ? 'from its sources, as tsx compiles them (`BENCH_SOURCE=1` or no preload)' : 'as built for publishing (`scripts/build.mjs --js-only` into bench/results/build-package)'}. Medians of ${REPS} interleaved repetitions (S4: ${CHAIN_REPS}, S4 without HTTP: ${SIMULATED_CHAIN_REPS}, synthetic: ${SYNTHETIC_REPS}) after a warm-up, on loopback against a mock OpenAI-compatible server in its own process. Baseline: the \`openai\` SDK directly (\`Promise.all\` for independent calls, sequential awaits in chains).`,
        '',
        table(['Scenario', 'plait', 'baseline', 'plait / baseline', 'Measured against target', 'Result'], rows),
      ]),
  ...(compiledRows.length === 0
    ? []
    : section(
        'Compiled forward()',
        `The same scenarios with forward() compiled (\`compile()\` on the scenario file, as a build step would), each interleaved with the SDK baseline and, separately, with the traced class (medians of ${REPS}, S4: ${CHAIN_REPS}).`,
        '',
        table(['Scenario', 'compiled', 'baseline', 'compiled / baseline', 'traced (paired compiled / traced)', 'Measured against target', 'Result'], compiledRows),
      )),
  ...(limitRows.length === 0
    ? []
    : section(
        'Under endpoint limits',
        `Against a mock server in its own process that logs every request (the bounds and in-flight counts come from that log). S3: medians of ${S3_REPS} interleaved repetitions (plait, p-limit baseline, …) after a 20-item warm-up; critical path vs FIFO: medians of ${PRIORITY_REPS} interleaved repetitions; soak: one run.`,
        '',
        table(['Scenario', 'plait', 'reference', 'plait / reference', 'Measured against target', 'Result'], limitRows),
      )),
  ...(spreads.length === 0
    ? []
    : section(
        'Spread, paired ratio and client CPU',
        'Wall time min–max (ms); the median of per-pair ratios (each plait repetition over the baseline repetition right after it); median CPU time of the client process per repetition (ms, user + system; the mock server runs in another process).',
        '',
        table(['Scenario', 'plait wall', 'baseline wall', 'paired ratio', 'client CPU plait / baseline', 'repetitions'], spreads),
      )),
  ...(alone.length === 0
    ? []
    : section(
        'Baselines in a process where plait never ran',
        'Side by side, the baseline shares a process with plait runs, so anything plait switches on for the whole process (on Node 20, an active `AsyncLocalStorage` adds promise hooks to every promise; plait enters one only for an async forward()) would tax the baseline too. The same baselines in a fresh process (wall / client CPU, medians):',
        '',
        table(['Scenario', 'baseline side by side', 'baseline alone', 'plait (side by side) / baseline alone'], alone),
      )),
  ...(sdk.length === 0
    ? []
    : section(
        '`openai` SDK loading (resolve hook in a fresh process)',
        table(
          ['What the process did', 'modules resolved', 'files under node_modules/openai', 'expected'],
          sdk.map((check) => [check.what, String(check.resolved), String(check.sdkFiles), check.expectLoaded ? 'loaded' : 'not loaded']),
        ),
      )),
  ...section('Notes', ...[...notes, ...importNotes, `Whole bench ${totalSeconds.toFixed(0)} s.`].map((note) => `- ${note}`)),
  '',
].join('\n')

process.stdout.write(`${output}\n`)
const resultsDir = join(repoRoot, 'bench', 'results')
mkdirSync(resultsDir, { recursive: true })
writeFileSync(join(resultsDir, 'latest.md'), output)
progress(`wrote ${join('bench', 'results', 'latest.md')}`)
