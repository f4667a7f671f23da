/**
 * `plait check [files...]`: for CI. Fails (exit 1) when a graph file under `.plait/` is missing,
 * stale or orphaned, or when a forward() does not compile; prints one OK line otherwise. Writes
 * nothing.
 */
import { checkGraphFiles, type GraphFileCheck } from '../graph-files.js'
import { parseCommandArgs } from './args.js'
import { compileFiles, reportDiagnostics } from './compile-files.js'
import { selectSources } from './files.js'
import { sourcesWithGraphFiles } from './graph-folders.js'
import { exitCode, type CliIo } from './io.js'
import { plaitOptionsFrom, projectOptions, projectOptionsHelp } from './project.js'

/** `plait check --help`. */
export const checkHelp = `Usage: plait check [files...] [options]

Checks that the graph files under <root>/.plait/ are what \`plait graph\` would write: exit 1
listing every missing, stale (content differs) or orphaned (class or source gone) file, or when
a forward() cannot be compiled; exit 0 with one line otherwise. Writes nothing. Without files:
every script file under the root that mentions plait, and graph files of sources that are gone.

Options:
${projectOptionsHelp}
  -h, --help           Show this help

Examples:
  plait check                      # in CI, after committing .plait/ (delete .plait/.gitignore)
  plait check src/review.ts`

/**
 * Runs `plait check`.
 *
 * @example
 * ```ts
 * process.exitCode = await checkCommand([], processIo())
 * ```
 */
export async function checkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('check', argv, projectOptions)
  if (values.help) {
    io.stdout.write(`${checkHelp}\n`)
    return exitCode.ok
  }
  const options = { ...plaitOptionsFrom(values, io.cwd), graphs: false }
  const paths = selectSources(positionals, { cwd: io.cwd, root: options.root, options, command: 'check' })
  const files = compileFiles(paths, options)
  const errors = reportDiagnostics(files, io.stderr)

  const found: GraphFileCheck = { missing: [], stale: [], orphaned: [] }
  const add = (check: GraphFileCheck) => {
    found.missing.push(...check.missing)
    found.stale.push(...check.stale)
    found.orphaned.push(...check.orphaned)
  }
  for (const file of files) if (file.output) add(checkGraphFiles(options.root, file.file, file.output.graphs))
  if (positionals.length === 0) {
    const present = new Set(files.map((file) => file.file))
    for (const file of sourcesWithGraphFiles(options.root)) if (!present.has(file)) add(checkGraphFiles(options.root, file, []))
  }

  const problems = [...found.missing.map((path) => `  missing   ${path}`), ...found.stale.map((path) => `  stale     ${path}`), ...found.orphaned.map((path) => `  orphaned  ${path}`)]
  if (problems.length > 0) {
    io.stderr.write(`plait check: ${problems.length} graph ${problems.length === 1 ? 'file is' : 'files are'} out of date:\n${problems.join('\n')}\nRun \`plait graph\` to update them.\n`)
  }
  if (errors > 0) io.stderr.write(`plait check: ${errors} ${errors === 1 ? 'error' : 'errors'} in forward() methods (above).\n`)
  if (problems.length > 0 || errors > 0) return exitCode.failed
  const classes = files.reduce((count, file) => count + (file.output?.graphs.length ?? 0), 0)
  io.stdout.write(`plait check: graph files of ${classes} ${classes === 1 ? 'class' : 'classes'} in ${files.length} ${files.length === 1 ? 'file' : 'files'} are up to date.\n`)
  return exitCode.ok
}
