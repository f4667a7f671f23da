/**
 * The golden fixtures of the compiler: `fixtures/compiler/<name>.ts` (and `error.<name>.ts` for
 * rejected inputs), with the expected outputs beside them. `npm run fixtures:update` rewrites the
 * expected files from what the compiler does now; the golden test compares them.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { formatDiagnostic, graphToJSON, toMermaid } from 'plait'
import { compile } from '../../plugin/compiler/index.js'

/** The package root, with a trailing slash. */
export const root = fileURLToPath(new URL('../../', import.meta.url))
/** The fixtures folder. */
export const fixturesDir = `${root}fixtures/compiler/`

/** Names of the fixtures (`strings`, `error.filter-callback`), without `.ts`. */
export function fixtureNames(): string[] {
  return readdirSync(fixturesDir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.out.ts') && file !== 'support.ts')
    .map((file) => file.slice(0, -3))
    .sort()
}

/** The source of a fixture. */
export function fixtureSource(name: string): string {
  return readFileSync(`${fixturesDir}${name}.ts`, 'utf8')
}

/** Compiles a fixture as the plugin would, with paths relative to the package root. */
export function compileFixture(name: string) {
  return compile(fixtureSource(name), `${fixturesDir}${name}.ts`, { root })
}

/**
 * The expected files of a fixture, by file name: `<name>.out.js` (the generated code; not for
 * rejected inputs), `<name>.graph.json` and `<name>.mmd` per compiled class (`<name>.<Class>...`
 * when a file has several), and `<name>.diagnostics.txt`.
 */
export function goldenFiles(name: string): Record<string, string> {
  const result = compileFixture(name)
  const files: Record<string, string> = {}
  if (!name.startsWith('error.')) files[`${name}.out.js`] = result.code
  const several = result.graphs.length > 1
  for (const graph of result.graphs) {
    const base = several ? `${name}.${graph.name}` : name
    files[`${base}.graph.json`] = graphToJSON(graph)
    files[`${base}.mmd`] = `${toMermaid(graph)}\n`
  }
  files[`${name}.diagnostics.txt`] = result.diagnostics.length === 0 ? '(none)\n' : `${result.diagnostics.map(formatDiagnostic).join('\n\n')}\n`
  return files
}

/** Every expected file that exists now for fixture `name`. */
export function existingGoldenFiles(name: string): string[] {
  return readdirSync(fixturesDir).filter((file) => file.startsWith(`${name}.`) && file !== `${name}.ts` && (file.endsWith('.out.js') || file.endsWith('.graph.json') || file.endsWith('.mmd') || file.endsWith('.diagnostics.txt')) && !fixtureNames().some((other) => other !== name && other.startsWith(`${name}.`) && file.startsWith(`${other}.`)))
}
