#!/usr/bin/env node
/**
 * The `plait` command-line tool: `plait graph`, `plait check`, `plait build` and `plait run`.
 * `main()` takes the arguments and an io (streams, working directory, environment) and returns
 * the exit code, so every command also runs in-process; the bin passes the process's own.
 */
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { UsageError } from './args.js'
import { buildCommand } from './build.js'
import { checkCommand } from './check.js'
import { graphCommand } from './graph.js'
import { exitCode, processIo, type CliIo } from './io.js'
import { runCommand } from './run.js'

export { bufferIo, exitCode, processIo, type CliIo, type TextSink } from './io.js'

/** The commands, by name. */
const commands: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  graph: graphCommand,
  check: checkCommand,
  build: buildCommand,
  run: runCommand,
}

/** `plait --help`. */
export const toolHelp = `Usage: plait <command> [options]

plait compiles each forward() of your plait modules into concurrent code and a graph you can open.

Commands:
  graph [files...]     Write graph files under .plait/, or print one with --format mermaid|dot|json|text
  check [files...]     Exit 1 when graph files under .plait/ are missing, stale or orphaned (for CI)
  build                Compile a copy of the sources, then run the project's tsc on it (no bundler needed)
  run <file>           Compile a file and run its pipeline on simulated endpoints (or the ones it exports)

Options:
  -h, --help           Show this help (\`plait <command> --help\` for a command's)
  -v, --version        Print plait's version

Examples:
  plait graph src/review.ts --format mermaid
  plait check
  plait build -p tsconfig.json
  plait run src/review.ts --input "The ticket text"

Docs: docs/cli.md`

/**
 * Runs the tool with `argv` (without `node` and the script) and returns the exit code: 0 done,
 * 1 a problem found (compile errors, stale graph files, a failed build or run), 2 a wrong command
 * line.
 *
 * @example
 * ```ts
 * import { bufferIo, main } from 'plait/cli'
 * const io = bufferIo('/repo')
 * const code = await main(['graph', 'src/app.ts', '--format', 'text'], io)
 * ```
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(`${toolHelp}\n`)
      return name === undefined ? exitCode.usage : exitCode.ok
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${version()}\n`)
      return exitCode.ok
    }
    const command = commands[name]
    if (command === undefined) {
      throw new UsageError(name.startsWith('-') ? `Unknown option \`${name}\`.` : `Unknown command \`${name}\`; expected one of ${Object.keys(commands).join(', ')}.`)
    }
    return await command(rest, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`plait${error.command ? ` ${error.command}` : ''}: ${error.message}\nRun \`plait${error.command ? ` ${error.command}` : ''} --help\` for usage.\n`)
      return exitCode.usage
    }
    io.stderr.write(`plait${name ? ` ${name}` : ''}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return exitCode.failed
  }
}

/** plait's version, from its package.json (found through the package's own name). */
function version(): string {
  return (createRequire(import.meta.url)('plait/package.json') as { version: string }).version
}

/** Whether this module is the process's entry point (the bin), not an import. */
function isEntryPoint(): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2), processIo())
}
