/**
 * What the Node hook reads from the environment: it is started with `--import plait/register`,
 * so it has no config file and takes its few options from environment variables.
 */
import { resolve } from 'node:path'
import type { PlaitOptions } from '../types.js'

/** The options of the Node hook, as plain data (they cross into the hooks thread on Node 20). */
export interface RegisterOptions {
  /** Project root: graph files go under `<root>/.plait/`, locations are relative to it. */
  root: string
  /** PL2xx warnings fail the import, as PL1xx errors do. */
  strict: boolean
  /** Write graph files. */
  graphs: boolean
  /** Keep compiles in `<root>/node_modules/.cache/plait` (the hosts' `cache` option, on by default). */
  cache: boolean
}

/**
 * Reads the hook's options: `PLAIT_ROOT` (default: the current directory), `PLAIT_STRICT=1`
 * (tracer fallbacks become errors), `PLAIT_GRAPHS=0` (write no graph files) and `PLAIT_CACHE=0`
 * (no compile cache).
 *
 * @example
 * ```ts
 * registerOptions({ PLAIT_ROOT: 'app', PLAIT_STRICT: '1' }, '/repo')
 * // { root: '/repo/app', strict: true, graphs: true, cache: true }
 * ```
 */
export function registerOptions(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): RegisterOptions {
  return {
    root: resolve(cwd, env.PLAIT_ROOT || '.'),
    strict: isOn(env.PLAIT_STRICT),
    graphs: env.PLAIT_GRAPHS === undefined ? true : isOn(env.PLAIT_GRAPHS),
    cache: env.PLAIT_CACHE === undefined ? true : isOn(env.PLAIT_CACHE),
  }
}

/**
 * The host options `transformFile` takes, from the hook's options.
 *
 * @example
 * ```ts
 * transformFile({ code, id }, hostOptions(registerOptions()))
 * ```
 */
export function hostOptions(options: RegisterOptions): PlaitOptions {
  return { root: options.root, strict: options.strict, graphs: options.graphs, ...(options.cache ? {} : { cache: false }) }
}

function isOn(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim())
}
