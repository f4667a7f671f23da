/**
 * `node --import plait/register app.ts`: compiles the `forward()` of every plait module as Node
 * loads it. On Node with `module.registerHooks` (22.15+, 23.5+) the hooks run synchronously on the
 * main thread; on Node 20 they go to Node's hooks thread through `module.register`. Options come
 * from the environment: `PLAIT_ROOT`, `PLAIT_STRICT=1`, `PLAIT_GRAPHS=0` (see docs/node-and-tsc.md).
 *
 * @example
 * ```sh
 * node --import tsx --import plait/register app.ts
 * PLAIT_STRICT=1 node --import plait/register app.ts   # plain Node: plait strips the types itself
 * ```
 */
import * as nodeModule from 'node:module'
import type { HooksData } from './hooks.js'
import { registerOptions } from './options.js'
import type { SyncHooks } from './sync-hooks.js'

type RegisterHooks = (hooks: SyncHooks) => unknown

const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks
const options = registerOptions()

if (typeof registerHooks === 'function' && process.env.PLAIT_REGISTER !== 'thread') {
  const { syncHooks } = await import('./sync-hooks.js')
  registerHooks(syncHooks(options, (text) => process.stderr.write(text)))
} else {
  // From source the hooks module is this folder's hooks.ts; in the package, dist/register-hooks.js.
  const hooks = import.meta.url.endsWith('.ts') ? './hooks.ts' : './register-hooks.js'
  const data: HooksData = { options }
  nodeModule.register(hooks, import.meta.url, { data })
}
