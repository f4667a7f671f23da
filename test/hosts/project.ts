/**
 * The project every host test builds: compiler fixtures (a README pipeline, branches on results,
 * a composite) and a class that extends a class of another file, in a fresh temporary folder
 * whose `node_modules/plait` links to this repository (so bundles keep `plait` external and still
 * run). The graphs `compile()` gives for the same files are the expected ones.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { graphToJSON } from 'plait'
import { compile, graphFiles, nodeResolver } from '../../plugin/compiler/index.js'

const repository = fileURLToPath(new URL('../..', import.meta.url))

/**
 * The folder of the project's own files (they import the fixtures by the same relative paths in
 * the repository and in the copy).
 *
 * @example
 * ```ts
 * host.build({ root: project.root, entry: `${projectFolder}/main.ts`, outDir })
 * ```
 */
export const projectFolder = 'test/hosts/project'
/** Files copied, at the same paths relative to the root. */
const copiedFiles = [
  ...['extract-and-compare.ts', 'branches.ts', 'composite.ts', 'support.ts'].map((file) => `fixtures/compiler/${file}`),
  ...['base.ts', 'derived.ts', 'main.ts', 'broken.ts', 'traced.ts', 'pipelines.spec.ts'].map((file) => `${projectFolder}/${file}`),
]
/**
 * The files holding plait classes that compile.
 *
 * @example
 * ```ts
 * compiledFiles.includes('test/hosts/project/derived.ts') // true
 * ```
 */
export const compiledFiles = copiedFiles.filter((file) => !/(support|main|broken|traced|\.spec)\.ts$/.test(file))

/**
 * A fresh copy of the project; `remove()` deletes it.
 *
 * @example
 * ```ts
 * const project = makeProject()
 * await hosts[0].build({ root: project.root, entry: `${projectFolder}/main.ts`, outDir: join(project.root, 'out') })
 * project.remove()
 * ```
 */
export function makeProject(): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'plait-hosts-'))
  for (const file of copiedFiles) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    copyFileSync(join(repository, file), join(root, file))
  }
  mkdirSync(join(root, 'node_modules'))
  symlinkSync(repository, join(root, 'node_modules/plait'), 'dir')
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) }
}

/**
 * The graph files and the `virtual:plait/graphs` entries `compile()` gives for the project's
 * files, read from `root`.
 *
 * @example
 * ```ts
 * const { files, graphs } = expectedGraphs(project.root)
 * files['.plait/test/hosts/project/derived.ts/Reviewed.graph.json'] // the JSON text
 * ```
 */
export function expectedGraphs(root: string): { files: Record<string, string>; graphs: Record<string, unknown> } {
  const files: Record<string, string> = {}
  const graphs: Record<string, unknown> = {}
  for (const file of compiledFiles) {
    const result = compile(readFileSync(join(root, file), 'utf8'), join(root, file), { root, resolve: nodeResolver() })
    Object.assign(files, graphFiles(result.graphs))
    for (const graph of result.graphs) graphs[`${graph.file}#${graph.name}`] = JSON.parse(graphToJSON(graph))
  }
  return { files, graphs }
}
