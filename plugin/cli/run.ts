/**
 * `plait run <file>`: compiles a file (reporting its diagnostics), loads it through the
 * `plait/register` hook (so it and every module it imports run compiled), binds its pipeline to
 * endpoints and runs it on its inputs. See `run-contract.ts` for what the file exports.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { graphFolder } from '../compiler/outputs.js'
import { oneOf, parseCommandArgs, UsageError } from './args.js'
import { compileFiles, reportDiagnostics } from './compile-files.js'
import { displayPath } from './files.js'
import { exitCode, type CliIo } from './io.js'
import { plaitOptionsFrom, projectOptions, projectOptionsHelp } from './project.js'
import { aliasesOf, fileEndpoints, findRunnable, runInputs, type Endpoint, type FileExports } from './run-contract.js'
import type { PlaitOptions } from '../types.js'

/** `plait run --help`. */
export const runHelp = `Usage: plait run <file> [options]

Compiles the file, loads it with the plait/register hook (every plait module it imports runs
compiled), and runs its pipeline on each input. Prints each result to stdout and where the
graph file is to stderr.

The file exports:
  the module       \`pipeline\` (bound already), or \`default\`, or its one exported module
                   (a class extending Module, built with no arguments, or an instance)
  inputs           optional: a list of argument lists, e.g. [['first doc'], ['second doc']]
  endpoints        optional: endpoints by alias, or a function returning them

Endpoints, when the file exports none: every alias the module uses gets simulated() (a
deterministic reply, no network), or openai() with --endpoints openai (needs OPENAI_API_KEY).

Options:
  --input <text>        One argument of forward(), as text (repeat for each argument)
  --args <json>         forward()'s arguments as a JSON array (instead of --input)
  --export <name>       Run this export instead of finding the module
  --endpoints <kind>    simulated (default) or openai, for files that export no endpoints
  --model <name>        The model of --endpoints openai (default: gpt-4o-mini)
  --latency <ms>        Latency of each simulated call (default: 0)
  --json                Print results as JSON (one value, or an array for several inputs)
${projectOptionsHelp}
  -h, --help            Show this help

Examples:
  plait run src/review.ts --input "The ticket text"
  plait run src/compare.ts --args '["first doc", "second doc"]' --json
  OPENAI_API_KEY=... plait run src/review.ts --endpoints openai --model gpt-4o-mini`

/**
 * plait's entries, imported by package name (not bundled into the bin): the file run imports
 * `plait` too, and both must share one copy (the hook's state, the marks of compiled classes).
 */
const packageEntry = { main: 'plait', endpoints: 'plait/endpoints', register: 'plait/register' }

/** What `plait run` uses of `plait` and `plait/endpoints` (typed by shape: this layer does not import the runtime). */
interface PlaitEntry {
  compilationOf(moduleOrClass: object): { compiled: true; file?: string; graphFile?: string } | { compiled: false; reason: string }
}
interface EndpointsEntry {
  openai(options: { model: string; apiKey?: string }): Endpoint
  simulated(options: { model?: string; latencyMs?: number }): Endpoint
}

/** How `runCommand` loads the file; the bin uses Node's `import()` behind the register hook. */
export interface RunDependencies {
  /** Loads the module at `url` (a `file:` URL) and gives its exports. */
  importModule?: (url: string) => Promise<FileExports>
}

/**
 * Runs `plait run`.
 *
 * @example
 * ```ts
 * process.exitCode = await runCommand(['src/review.ts', '--input', 'The ticket'], processIo())
 * ```
 */
export async function runCommand(argv: string[], io: CliIo, dependencies: RunDependencies = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', argv, {
    ...projectOptions,
    input: { type: 'string', multiple: true },
    args: { type: 'string' },
    export: { type: 'string' },
    endpoints: { type: 'string' },
    model: { type: 'string' },
    latency: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) {
    io.stdout.write(`${runHelp}\n`)
    return exitCode.ok
  }
  const [name, ...extra] = positionals
  if (name === undefined) throw new UsageError('Expected the file to run, as in `plait run src/app.ts`.', 'run')
  if (extra.length > 0) throw new UsageError(`Unexpected argument \`${extra[0]}\`: pass forward()'s arguments with \`--input\` or \`--args\`.`, 'run')
  if (values.input !== undefined && values.args !== undefined) throw new UsageError('Expected `--input` or `--args`, not both.', 'run')
  const kind = oneOf('run', '--endpoints', values.endpoints, ['simulated', 'openai'] as const) ?? 'simulated'
  const latencyMs = values.latency === undefined ? 0 : Number(values.latency)
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new UsageError(`Expected \`--latency\` to be a number of milliseconds, got \`${values.latency}\`.`, 'run')
  const path = resolve(io.cwd, name)
  if (!existsSync(path)) throw new UsageError(`Expected \`${name}\` to be a file; it does not exist.`, 'run')
  const options = plaitOptionsFrom(values, io.cwd)

  // Compile first: errors are reported as the build would, before anything runs.
  const compiled = compileFiles([path], options)
  if (reportDiagnostics(compiled, io.stderr) > 0) return exitCode.failed

  const importModule = dependencies.importModule ?? (await registeredImport(options))
  const exports = await importModule(pathToFileURL(path).href)
  const shown = displayPath(io.cwd, path)
  const { module, pipeline: bound } = findRunnable(exports, shown, values.export)
  const inputs = runInputs(values, exports, shown)
  let pipeline = bound
  if (pipeline === undefined) {
    const endpoints = (await fileEndpoints(exports, shown)) ?? (await defaultEndpoints(aliasesOf(module), kind, { model: values.model, latencyMs, io }))
    pipeline = module.bind({ endpoints })
  }

  const settled = await Promise.allSettled(inputs.map((args) => pipeline.run(args)))
  let failed = false
  const results: unknown[] = []
  settled.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') results.push(outcome.value)
    else {
      failed = true
      const error = outcome.reason as Error
      io.stderr.write(`plait run: input ${index + 1} failed: ${error?.message ?? String(error)}\n`)
    }
  })
  if (values.json) io.stdout.write(`${JSON.stringify(inputs.length === 1 ? results[0] : results, null, 2)}\n`)
  else {
    settled.forEach((outcome, index) => {
      if (outcome.status !== 'fulfilled') return
      if (inputs.length > 1) io.stdout.write(`# input ${index + 1}: ${JSON.stringify(inputs[index])}\n`)
      io.stdout.write(`${typeof outcome.value === 'string' ? outcome.value : JSON.stringify(outcome.value, null, 2)}\n`)
    })
  }
  io.stderr.write(`${await graphNote(options.root, module, io.cwd)}\n`)
  return failed ? exitCode.failed : exitCode.ok
}

/** Registers the `plait/register` hook in this process (once) and returns Node's `import()`. */
async function registeredImport(options: PlaitOptions & { root: string }): Promise<(url: string) => Promise<FileExports>> {
  process.env.PLAIT_ROOT ??= options.root
  if (options.strict === true) process.env.PLAIT_STRICT ??= '1'
  if (options.cache === false) process.env.PLAIT_CACHE ??= '0'
  await import(packageEntry.register)
  return (url) => import(url) as Promise<FileExports>
}

/** `simulated()` or `openai()` for every alias. */
async function defaultEndpoints(aliases: readonly string[], kind: 'simulated' | 'openai', settings: { model?: string; latencyMs: number; io: CliIo }): Promise<Record<string, Endpoint>> {
  const { openai, simulated } = (await import(packageEntry.endpoints)) as EndpointsEntry
  const { io } = settings
  if (kind === 'openai') {
    if (!io.env.OPENAI_API_KEY) throw new UsageError('Expected `OPENAI_API_KEY` to be set for `--endpoints openai`.', 'run')
    const model = settings.model ?? 'gpt-4o-mini'
    io.stderr.write(`plait run: OpenAI ${model} for ${aliases.map((alias) => `\`${alias}\``).join(', ')}\n`)
    const endpoint = openai({ model, apiKey: io.env.OPENAI_API_KEY })
    return Object.fromEntries(aliases.map((alias) => [alias, endpoint]))
  }
  const hint = io.env.OPENAI_API_KEY ? ' (pass --endpoints openai to use OpenAI)' : ''
  io.stderr.write(`plait run: simulated endpoints for ${aliases.map((alias) => `\`${alias}\``).join(', ') || 'no alias'}${hint}\n`)
  return Object.fromEntries(aliases.map((alias) => [alias, simulated({ model: `${alias}-sim`, latencyMs: settings.latencyMs })]))
}

/** Whether the class ran compiled and where its graph file is, or why it ran on the tracer. */
async function graphNote(root: string, module: object, cwd: string): Promise<string> {
  const { compilationOf } = (await import(packageEntry.main)) as PlaitEntry
  const how = compilationOf(module)
  const name = module.constructor.name
  if (!how.compiled) return `${name} ran on the tracer: ${how.reason}`
  const graphFile = how.graphFile ?? `${graphFolder}/${how.file ?? ''}/${name}.graph.json`
  const path = join(root, graphFile)
  return existsSync(path) ? `${name} ran compiled; graph: ${displayPath(cwd, path.replace(/\.graph\.json$/, '.mmd'))} (also .graph.json, .dot, .txt)` : `${name} ran compiled; no graph file written (PLAIT_GRAPHS=0?)`
}
