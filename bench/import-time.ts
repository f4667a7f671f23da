/**
 * Import cost of the built package in fresh processes: `performance.now()` around a dynamic
 * `import()` (process start-up excluded), median of several spawns, interleaved with importing
 * the `openai` SDK alone for scale. Plus a check that importing plait does not load the SDK.
 */
import { pathToFileURL } from 'node:url'
import { builtEntries } from './build.js'
import { runNode } from './lib/spawn.js'
import { median } from './lib/stats.js'

const plaitURL = pathToFileURL(builtEntries.plait).href
const endpointsURL = pathToFileURL(builtEntries.endpoints).href

/** What is imported in each timed spawn. */
export const importCases = {
  plait: [plaitURL],
  'plait + plait/endpoints': [plaitURL, endpointsURL],
  'openai SDK alone': ['openai'],
} as const

type Case = keyof typeof importCases

async function timeOnce(specifiers: readonly string[]): Promise<number> {
  const code = `const t = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s); process.stdout.write(String(performance.now() - t))`
  const { stdout } = await runNode(['--input-type=module', '-e', code])
  return Number(stdout)
}

/** Median import time (ms) per case over `reps` fresh processes each, spawns interleaved. */
export async function importTimes(reps: number): Promise<Record<Case, { median: number; samples: number[] }>> {
  const samples = Object.fromEntries(Object.keys(importCases).map((name) => [name, [] as number[]])) as Record<Case, number[]>
  // One untimed round warms the file-system cache.
  for (const specifiers of Object.values(importCases)) await timeOnce(specifiers)
  for (let rep = 0; rep < reps; rep++) {
    for (const [name, specifiers] of Object.entries(importCases) as Array<[Case, readonly string[]]>) samples[name].push(await timeOnce(specifiers))
  }
  return Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, { median: median(list), samples: list }])) as Record<Case, { median: number; samples: number[] }>
}

/**
 * A resolve hook, registered with `module.register`, that reports every URL resolved in the
 * process; the SDK counts as loaded if any resolved URL lies under node_modules/openai/.
 */
const hook = `
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  port.postMessage(result.url)
  return result
}`

async function resolvedURLs(body: string): Promise<{ resolved: number; openai: string[]; cjsOpenai: string[] }> {
  const code = `
import { register, createRequire } from 'node:module'
import { MessageChannel } from 'node:worker_threads'
const { port1, port2 } = new MessageChannel()
const seen = []
port1.on('message', (url) => seen.push(url))
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] })
${body}
await new Promise((resolve) => setTimeout(resolve, 100))
port1.close()
const cjs = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('/node_modules/openai/'))
process.stdout.write(JSON.stringify({ resolved: seen.length, openai: seen.filter((url) => url.includes('/node_modules/openai/')), cjsOpenai: cjs }))`
  const { stdout } = await runNode(['--input-type=module', '-e', code])
  return JSON.parse(stdout) as { resolved: number; openai: string[]; cjsOpenai: string[] }
}

/** One check: what was imported or done, and whether any file of the SDK was loaded. */
export interface SdkCheck {
  what: string
  resolved: number
  sdkFiles: number
  expectLoaded: boolean
}

/**
 * Whether the SDK is loaded by importing plait and plait/endpoints, and by creating an `openai()`
 * endpoint without sending a request; importing `openai` itself is the control that shows the
 * hook sees the SDK when it is loaded.
 */
export async function sdkChecks(): Promise<SdkCheck[]> {
  const cases: Array<{ what: string; body: string; expectLoaded: boolean }> = [
    { what: 'import plait', body: `await import(${JSON.stringify(plaitURL)})`, expectLoaded: false },
    { what: 'import plait + plait/endpoints', body: `await import(${JSON.stringify(plaitURL)}); await import(${JSON.stringify(endpointsURL)})`, expectLoaded: false },
    {
      what: "…and create openai({ model, baseURL }) (no request)",
      body: `await import(${JSON.stringify(plaitURL)}); const { openai } = await import(${JSON.stringify(endpointsURL)}); openai({ model: 'fast', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'bench' })`,
      expectLoaded: false,
    },
    { what: "control: import 'openai'", body: `await import('openai')`, expectLoaded: true },
  ]
  const checks: SdkCheck[] = []
  for (const { what, body, expectLoaded } of cases) {
    const result = await resolvedURLs(body)
    checks.push({ what, resolved: result.resolved, sdkFiles: result.openai.length + result.cjsOpenai.length, expectLoaded })
  }
  return checks
}
