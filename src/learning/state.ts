/** Saving and loading parameter values as JSON files. */
import { readFile, writeFile } from 'node:fs/promises'
import { PlaitError } from '../../runtime/errors.js'
import { Module } from '../module.js'
import { describe } from '../parameter.js'

/**
 * Writes `module.stateDict()` to `file` as JSON (sorted by path, two-space indented).
 *
 * @example
 * ```ts
 * await saveParameters(model, 'params.json')
 * ```
 */
export async function saveParameters(module: Module, file: string): Promise<void> {
  if (!(module instanceof Module)) throw new TypeError(`Expected \`module\` to be a Module, got ${describe(module)}.`)
  if (typeof file !== 'string' || file === '') throw new TypeError(`Expected \`file\` to be a path, got ${describe(file)}.`)
  const state = module.stateDict()
  const sorted = Object.fromEntries(Object.keys(state).sort().map((key) => [key, state[key]]))
  await writeFile(file, `${JSON.stringify(sorted, null, 2)}\n`, 'utf8')
}

/**
 * Loads parameter values written by `saveParameters()` (or any `stateDict()` JSON) into `module`.
 * An unknown key is an error and nothing is changed.
 *
 * @example
 * ```ts
 * await loadParameters(model, 'params.json')
 * ```
 */
export async function loadParameters<M extends Module>(module: M, file: string): Promise<M> {
  if (!(module instanceof Module)) throw new TypeError(`Expected \`module\` to be a Module, got ${describe(module)}.`)
  if (typeof file !== 'string' || file === '') throw new TypeError(`Expected \`file\` to be a path, got ${describe(file)}.`)
  const text = await readFile(file, 'utf8')
  let state: unknown
  try {
    state = JSON.parse(text)
  } catch (error) {
    throw new PlaitError(`Expected \`${file}\` to hold parameter values as JSON (\`{ "path": "value" }\`); it does not parse: ${(error as Error).message}.`, { cause: error })
  }
  module.loadStateDict(state as Record<string, string>)
  return module
}
