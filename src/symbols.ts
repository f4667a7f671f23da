/** Keys of module hooks shared by the object model and the pipeline runner. */

/** The key of the hook that lists a module's direct children and parameters. */
export const ownEntries: unique symbol = Symbol('plait.ownEntries')
export { invoke } from '../runtime/compiled.js'
