/**
 * Object shapes kept for the life of the process.
 *
 * V8 gives every object a hidden class (a "map"): one for each set of fields, in the order they
 * were added, so a class's instances pass through one map per field its constructor sets. A map
 * lives only while some object has it. A full garbage collection frees the maps of the objects none
 * of which is alive, and a run's objects (the run, its nodes, their contexts, its direct calls) all
 * die with the run. So after every full GC the next run built those maps again, one per field, each
 * with an inline-cache miss, and V8 threw away the compiled code that relied on the old ones
 * ("weak objects" in `--trace-deopt`): ≈ 100 maps and 250 µs per S4 run (bench/README.md).
 *
 * One instance of each, made with placeholder values (no user data, nothing that keeps a pipeline
 * or an endpoint alive), keeps their maps.
 */

const kept: object[] = []

/**
 * Keeps `instance` alive for the life of the process, and with it its map. Only for placeholders
 * made once: everything it references stays alive too.
 *
 * @example
 * ```ts
 * keepShape(new NodeContext(placeholderRun, placeholderNode, undefined))
 * ```
 */
export function keepShape<T extends object>(instance: T): T {
  kept.push(instance)
  return instance
}
