/**
 * `plait graph [files...]`: compiles files and writes their graph files under `.plait/`, or prints
 * one format to stdout with `--format`.
 */
import type { Graph } from '../../src/graph/types.js'
import { graphFiles } from '../compiler/outputs.js'
import { writeGraphFiles } from '../graph-files.js'
import { oneOf, parseCommandArgs, UsageError } from './args.js'
import { compileFiles, reportDiagnostics } from './compile-files.js'
import { displayPath, selectSources } from './files.js'
import { sourcesWithGraphFiles } from './graph-folders.js'
import { exitCode, type CliIo } from './io.js'
import { plaitOptionsFrom, projectOptions, projectOptionsHelp } from './project.js'

/** The formats `--format` prints. */
export const graphFormats = ['mermaid', 'dot', 'json', 'text'] as const

/** `plait graph --help`. */
export const graphHelp = `Usage: plait graph [files...] [options]

Compiles every forward() in the files and writes its graph files under <root>/.plait/
(<file>/<Class>.graph.json, .mmd, .dot and .txt). Without files: every script file under the
root that mentions plait, and graph files of sources that are gone are removed.
With --format, prints the graphs to stdout instead and writes nothing.

Options:
  --format <format>    Print mermaid, dot, json or text (the summary) instead of writing files
  --class <name>       Only the graph of this class (with --format)
${projectOptionsHelp}
  -h, --help           Show this help

Diagnostics go to stderr; the exit code is 1 when a forward() cannot be compiled.

Examples:
  plait graph
  plait graph src/review.ts --format mermaid
  plait graph src/review.ts --format json --class Review > review.json`

/**
 * Runs `plait graph`.
 *
 * @example
 * ```ts
 * const code = await graphCommand(['src/app.ts', '--format', 'mermaid'], processIo())
 * ```
 */
export async function graphCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('graph', argv, { ...projectOptions, format: { type: 'string' }, class: { type: 'string' } })
  if (values.help) {
    io.stdout.write(`${graphHelp}\n`)
    return exitCode.ok
  }
  const format = oneOf('graph', '--format', values.format, graphFormats)
  if (values.class !== undefined && format === undefined) throw new UsageError('Expected `--class` to come with `--format` (graph files are written for every class).', 'graph')
  const options = plaitOptionsFrom(values, io.cwd)
  const paths = selectSources(positionals, { cwd: io.cwd, root: options.root, options, command: 'graph' })
  const files = compileFiles(paths, format === undefined ? options : { ...options, graphs: false })
  const errors = reportDiagnostics(files, io.stderr)

  if (format !== undefined) {
    const graphs = files.flatMap((file) => file.output?.graphs ?? []).filter((graph) => values.class === undefined || graph.name === values.class)
    if (graphs.length === 0) {
      if (errors === 0) io.stderr.write(`${noGraphsMessage(values.class, positionals)}\n`)
      return exitCode.failed
    }
    io.stdout.write(renderGraphs(graphs, format))
    return errors > 0 ? exitCode.failed : exitCode.ok
  }

  const changed = files.flatMap((file) => file.output?.written ?? [])
  if (positionals.length === 0) {
    const present = new Set(files.map((file) => file.file))
    for (const file of sourcesWithGraphFiles(options.root)) {
      if (!present.has(file)) changed.push(...writeGraphFiles(options.root, file, []))
    }
  }
  for (const path of changed) io.stdout.write(`${path}\n`)
  const classes = files.reduce((count, file) => count + (file.output?.graphs.length ?? 0), 0)
  const compiled = files.filter((file) => (file.output?.graphs.length ?? 0) > 0).length
  const where = displayPath(io.cwd, `${options.root}/.plait`)
  io.stdout.write(
    `Graphs of ${plural(classes, 'class', 'classes')} in ${plural(compiled, 'file', 'files')} are in ${where}/ (${changed.length === 0 ? 'up to date' : `${plural(changed.length, 'file', 'files')} written or removed`}).\n`,
  )
  return errors > 0 ? exitCode.failed : exitCode.ok
}

/**
 * The graphs in one format, each exactly as its graph file holds it: one JSON document (an object
 * for one graph, an array for several), or the texts of each graph separated by a blank line,
 * each headed by a comment naming its file and class.
 *
 * @example
 * ```ts
 * io.stdout.write(renderGraphs(graphs, 'mermaid'))
 * ```
 */
export function renderGraphs(graphs: readonly Graph[], format: (typeof graphFormats)[number]): string {
  const extension = { mermaid: '.mmd', dot: '.dot', json: '.graph.json', text: '.txt' }[format]
  const texts = graphs.map((graph) => Object.entries(graphFiles([graph])).find(([path]) => path.endsWith(extension))![1])
  if (texts.length === 1) return texts[0]!
  if (format === 'json') return `[\n${texts.map((text) => text.trimEnd().replace(/^/gm, '  ')).join(',\n')}\n]\n`
  const comment = { mermaid: '%%', dot: '//', text: '#' }[format]
  return graphs.map((graph, index) => `${comment} ${graph.file ?? ''} ${graph.name}\n${texts[index]!.trimEnd()}\n`).join('\n')
}

function noGraphsMessage(className: string | undefined, named: readonly string[]): string {
  const where = named.length === 0 ? 'the project' : named.map((name) => `\`${name}\``).join(', ')
  return className === undefined ? `Expected a compiled forward() in ${where}; found none (no class extends plait's Module).` : `Expected a class \`${className}\` with a compiled forward() in ${where}; found none.`
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}
