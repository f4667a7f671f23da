/**
 * `plait build [-p tsconfig.json] [--outDir dir]`: for projects without a bundler (and for
 * TypeScript 7, which has no transformer API). The sources the tsconfig selects are compiled with
 * `transformFile` (the code every bundler plugin emits) into a copy that mirrors the project
 * under `.plait/.build/`; then the project's own `tsc` runs twice:
 *
 * 1. on the original project, type checking it (and writing declarations when the tsconfig asks
 *    for them), so type errors and `.d.ts` files are exactly those of the user's code;
 * 2. on the copy with `--noCheck`, emitting JavaScript into the project's `outDir`. The compiler
 *    keeps every line, so line numbers in messages and source maps hold; paths in tsc's output
 *    and in source maps are mapped back to the originals.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileFilter } from '../transform.js'
import { parseCommandArgs, UsageError } from './args.js'
import { compileFiles, reportDiagnostics, type CompiledFile } from './compile-files.js'
import { displayPath } from './files.js'
import { exitCode, type CliIo } from './io.js'
import { plaitOptionsFrom, projectOptions, projectOptionsHelp } from './project.js'
import { loadTypeScript, readProjectConfig, resolveTypeScript } from './typescript-project.js'

/** Where the transformed copy goes, relative to the tsconfig's folder (removed after the build). */
export const copyFolder = join('.plait', '.build')

/** `plait build --help`. */
export const buildHelp = `Usage: plait build [options] [-- tsc options...]

For projects without a bundler. Compiles every forward() in the files the tsconfig selects (the
same code the bundler plugins emit) into a copy under .plait/.build/, then runs the project's own
tsc: once on your sources to type check them (and write declarations), once on the copy with
--noCheck to emit JavaScript into your outDir. Writes graph files under <root>/.plait/.
Needs TypeScript 5.6 or newer (for --noCheck).

Options:
  -p, --project <file>  The tsconfig (default: tsconfig.json in the current directory)
  --outDir <dir>        Emit here instead of the tsconfig's outDir
  --tsc <file>          The tsc to run (default: typescript/bin/tsc resolved from the project)
  --keep-copy           Keep the transformed copy in .plait/.build/ (to look at it)
${projectOptionsHelp.replace('(default: the current directory)', "(default: the tsconfig's folder)")}
  -h, --help            Show this help

Arguments after -- go to both tsc runs.

Examples:
  plait build
  plait build -p tsconfig.build.json --outDir dist
  plait build -- --listEmittedFiles`

/**
 * Runs `plait build`.
 *
 * @example
 * ```ts
 * process.exitCode = await buildCommand(['-p', 'tsconfig.json'], processIo())
 * ```
 */
export async function buildCommand(argv: string[], io: CliIo): Promise<number> {
  const split = argv.indexOf('--')
  const own = split === -1 ? argv : argv.slice(0, split)
  const forwarded = split === -1 ? [] : argv.slice(split + 1)
  const { values, positionals } = parseCommandArgs('build', own, {
    ...projectOptions,
    project: { type: 'string', short: 'p' },
    outDir: { type: 'string' },
    tsc: { type: 'string' },
    'keep-copy': { type: 'boolean' },
  })
  if (values.help) {
    io.stdout.write(`${buildHelp}\n`)
    return exitCode.ok
  }
  if (positionals.length > 0) throw new UsageError(`Unexpected argument \`${positionals[0]}\`: the files come from the tsconfig (\`-p\`); tsc options go after \`--\`.`, 'build')
  const configPath = resolve(io.cwd, values.project ?? 'tsconfig.json')
  if (!existsSync(configPath)) throw new UsageError(`Expected \`${values.project ?? 'tsconfig.json'}\` to be a tsconfig file; it does not exist.`, 'build')
  const projectFolder = dirname(configPath)
  const options = plaitOptionsFrom({ ...values, root: values.root ?? relative(io.cwd, projectFolder) }, io.cwd)

  const ts = await loadTypeScript(configPath)
  const config = readProjectConfig(ts, configPath)
  const tsc = values.tsc === undefined ? resolveTypeScript(configPath, 'bin/tsc') : resolve(io.cwd, values.tsc)
  if (tsc === undefined) throw new Error('Expected `typescript/bin/tsc` to be installed in the project (`npm install --save-dev typescript`).')
  const outside = config.fileNames.find((file) => relative(projectFolder, file).startsWith('..'))
  if (outside !== undefined) throw new Error(`Expected every file of ${displayPath(io.cwd, configPath)} to be inside ${displayPath(io.cwd, projectFolder) === '.' ? 'its folder' : displayPath(io.cwd, projectFolder)}; ${displayPath(io.cwd, outside)} is not (plait build mirrors the folder).`)
  const outDir = values.outDir !== undefined ? resolve(io.cwd, values.outDir) : config.options.outDir
  if (outDir === undefined && config.options.allowJs) throw new Error(`Expected \`outDir\` in ${displayPath(io.cwd, configPath)} or \`--outDir\`: with \`allowJs\`, emitting beside the sources would overwrite them.`)

  // Compile the sources plait would compile; copy every file the tsconfig selects.
  const wanted = fileFilter(options, options.root)
  const sources = config.fileNames.filter((file) => !/\.d\.[cm]?ts$/.test(file) && wanted(file))
  const compiled = compileFiles(sources, options)
  const errors = reportDiagnostics(compiled, io.stderr)
  if (errors > 0) {
    io.stderr.write(`plait build: ${errors} ${errors === 1 ? 'error' : 'errors'} in forward() methods (above); tsc was not run.\n`)
    return exitCode.failed
  }
  const copyRoot = join(projectFolder, copyFolder)
  const mirror = (path: string) => join(copyRoot, relative(projectFolder, path))
  rmSync(copyRoot, { recursive: true, force: true })
  try {
    const byPath = new Map<string, CompiledFile>(compiled.map((file) => [file.path, file]))
    for (const file of config.fileNames) {
      const target = mirror(file)
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, byPath.get(file)?.output?.code ?? readFileSync(file, 'utf8'))
    }

    // 1. Type check the user's own sources (and write declarations when asked).
    const emitsDeclarations = config.options.declaration === true || config.options.composite === true
    const checkArgs = ['-p', configPath, ...(config.options.noEmit || config.options.emitDeclarationOnly ? [] : emitsDeclarations ? ['--emitDeclarationOnly'] : ['--noEmit'])]
    if (values.outDir !== undefined && emitsDeclarations) checkArgs.push('--outDir', outDir!)
    const checked = runTsc(tsc, [...checkArgs, ...forwarded], io.cwd)
    io.stdout.write(checked.output)

    // 2. Emit JavaScript from the copy.
    const emitsJavaScript = !config.options.noEmit && !config.options.emitDeclarationOnly && !(config.options.noEmitOnError && checked.status !== 0)
    let emitted = { status: 0, output: '' }
    if (emitsJavaScript) {
      const commonFolder = config.options.rootDir ?? commonFolderOf(config.fileNames.filter((file) => !/\.d\.[cm]?ts$/.test(file)), projectFolder)
      const copyConfig = join(copyRoot, 'tsconfig.plait-build.json')
      writeFileSync(
        copyConfig,
        JSON.stringify(
          {
            extends: configPath,
            compilerOptions: {
              rootDir: mirror(commonFolder),
              outDir: outDir ?? commonFolder,
              noCheck: true,
              declaration: false,
              declarationMap: false,
              emitDeclarationOnly: false,
              composite: false,
              incremental: false,
            },
            files: config.fileNames.map(mirror),
            include: [],
          },
          null,
          2,
        ),
      )
      const run = runTsc(tsc, ['-p', copyConfig, '--listEmittedFiles', ...forwarded], io.cwd)
      const emittedFiles: string[] = []
      const shown = run.output
        .split('\n')
        .filter((line) => {
          const match = /^TSFILE: (.*)$/.exec(line)
          if (match) emittedFiles.push(match[1]!.trim())
          return match === null || forwarded.includes('--listEmittedFiles')
        })
        .join('\n')
      for (const file of emittedFiles) if (file.endsWith('.map')) mapSourcesBack(file, copyRoot, projectFolder)
      // Syntax errors show in both runs: print them once.
      const seen = new Set(checked.output.split('\n').filter((line) => line.trim() !== ''))
      const fresh = unmirror(shown, copyRoot, projectFolder, io.cwd)
        .split('\n')
        .filter((line) => !seen.has(line))
        .join('\n')
      emitted = { status: run.status, output: fresh }
      io.stdout.write(emitted.output)
    }

    const classes = compiled.reduce((count, file) => count + (file.output?.graphs.length ?? 0), 0)
    const withGraphs = compiled.filter((file) => (file.output?.graphs.length ?? 0) > 0).length
    const failed = checked.status !== 0 || emitted.status !== 0
    const emitNote = emitsJavaScript ? `JavaScript in ${displayPath(io.cwd, outDir ?? projectFolder)}` : 'no JavaScript emitted (noEmit, emitDeclarationOnly or noEmitOnError)'
    io.stderr.write(`plait build: compiled ${classes} ${classes === 1 ? 'class' : 'classes'} in ${withGraphs} ${withGraphs === 1 ? 'file' : 'files'} (graphs in ${displayPath(io.cwd, join(options.root, '.plait'))}/); ${emitNote}${failed ? '; tsc reported errors (above)' : ''}.\n`)
    return failed ? exitCode.failed : exitCode.ok
  } finally {
    if (!values['keep-copy']) rmSync(copyRoot, { recursive: true, force: true })
  }
}

/** Runs tsc with Node; its output (stdout and stderr) as one text. */
function runTsc(tsc: string, args: string[], cwd: string): { status: number; output: string } {
  const result = spawnSync(process.execPath, [tsc, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error) throw result.error
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` }
}

/** The deepest folder holding every file (tsc's common source directory), never above `fallback`'s root. */
function commonFolderOf(files: readonly string[], fallback: string): string {
  if (files.length === 0) return fallback
  let common = dirname(files[0]!)
  for (const file of files) {
    while (!(`${file}`.startsWith(common.endsWith(sep) ? common : `${common}${sep}`))) common = dirname(common)
  }
  return common
}

/** tsc's messages with paths in the copy replaced by the originals (absolute and relative forms). */
export function unmirror(text: string, copyRoot: string, projectFolder: string, cwd: string): string {
  const relativeCopy = relative(cwd, copyRoot)
  const relativeProject = relative(cwd, projectFolder)
  const replacement = relativeProject === '' ? '' : `${relativeProject}${sep}`
  return text
    .replaceAll(`${copyRoot}${sep}`, `${projectFolder}${sep}`)
    .replaceAll(`${relativeCopy}${sep}`, replacement)
    .replaceAll(`${relativeCopy.replaceAll('\\', '/')}/`, replacement.replaceAll('\\', '/'))
}

/** Points the `sources` of an emitted source map at the original files instead of the copy. */
function mapSourcesBack(mapFile: string, copyRoot: string, projectFolder: string): void {
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources?: string[]; sourceRoot?: string }
  if (!Array.isArray(map.sources)) return
  const folder = dirname(mapFile)
  let changed = false
  map.sources = map.sources.map((source) => {
    const absolute = isAbsolute(source) ? source : resolve(folder, map.sourceRoot ?? '', source)
    const inCopy = relative(copyRoot, absolute)
    if (inCopy.startsWith('..') || isAbsolute(inCopy)) return source
    changed = true
    return relative(resolve(folder, map.sourceRoot ?? ''), join(projectFolder, inCopy)).replaceAll('\\', '/')
  })
  if (changed) writeFileSync(mapFile, JSON.stringify(map))
}
