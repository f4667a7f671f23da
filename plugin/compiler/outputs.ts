/**
 * The graph files of compiled classes, as the plugin and the CLI write them under `.plait/`: for
 * `src/app.ts` and class `Pipeline`, `.plait/src/app.ts/Pipeline.graph.json` (deterministic JSON),
 * `.mmd` (Mermaid), `.dot` (Graphviz) and `.txt` (the summary). One generator for every host, so
 * that `plait check` can compare what is on disk with what a build would write.
 */
import { formatSummary, summarizeGraph } from '../../src/graph/summary.js'
import { graphToJSON } from '../../src/graph/json.js'
import { toMermaid } from '../../src/graph/mermaid.js'
import { toDot } from '../../src/graph/dot.js'
import type { Graph } from '../../src/graph/types.js'

/** The folder graph files go to, relative to the project root. */
export const graphFolder = '.plait'

/**
 * The root-relative path of the graph JSON of class `name` in root-relative `file`.
 *
 * @example
 * ```ts
 * graphFilePath('src/app.ts', 'Pipeline') // '.plait/src/app.ts/Pipeline.graph.json'
 * ```
 */
export function graphFilePath(file: string, name: string): string {
  return `${graphFolder}/${file}/${name}.graph.json`
}

/**
 * The graph files of `graphs` (from one `compile()`), by root-relative path.
 *
 * @example
 * ```ts
 * const { graphs } = compile(source, '/repo/src/app.ts', { root: '/repo' })
 * for (const [path, text] of Object.entries(graphFiles(graphs))) writeFileSync(join('/repo', path), text)
 * // .plait/src/app.ts/Pipeline.graph.json, .plait/src/app.ts/Pipeline.mmd, ...
 * ```
 */
export function graphFiles(graphs: readonly Graph[]): Record<string, string> {
  const files: Record<string, string> = {}
  for (const graph of graphs) {
    const base = `${graphFolder}/${graph.file ?? 'unknown'}/${graph.name}`
    files[graphFilePath(graph.file ?? 'unknown', graph.name)] = graphToJSON(graph)
    files[`${base}.mmd`] = `${toMermaid(graph)}\n`
    files[`${base}.dot`] = `${toDot(graph)}\n`
    files[`${base}.txt`] = `${formatSummary(summarizeGraph(graph))}\n`
  }
  return files
}
