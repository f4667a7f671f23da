/**
 * Types of `virtual:plait/graphs`, the module every bundler host of plait serves: the graph of
 * each compiled `forward()` of the project, keyed `'<root-relative file>#<Class>'`.
 *
 * Add it once, e.g. in `src/env.d.ts`:
 *
 * @example
 * ```ts
 * /// <reference types="plait/virtual" />
 * import graphs from 'virtual:plait/graphs'
 * const pipeline = graphs['src/app.ts#Pipeline'] // Graph | undefined
 * ```
 */
declare module 'virtual:plait/graphs' {
  import type { Graph } from 'plait'

  /** Every graph of the project by `'<file>#<Class>'` (files relative to the project root). */
  export const graphs: Readonly<Record<string, Graph>>
  export default graphs
}
