/** Keys of module hooks shared by the object model and the pipeline runner. */

/** The key of the hook that lists a module's direct children and parameters. */
export const ownEntries: unique symbol = Symbol('plait.ownEntries')

/**
 * The key of a container's lookup of one child by the name `[ownEntries]` gives it (`'0'`,
 * `'title'`): how a module path kept from an earlier run is checked without walking the tree
 * (module-paths.ts).
 */
export const childNamed: unique symbol = Symbol('plait.childNamed')
export { invoke } from '../runtime/compiled.js'
