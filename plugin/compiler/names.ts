/**
 * Names the compiler introduces: temporaries that cannot collide with the file's identifiers, and
 * stable node ids from binding names (`facts`, then `facts_2`, ...).
 */
import type ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  forEachChild, isIdentifier, isPrivateIdentifier,
} from 'typescript'

/**
 * Every identifier text in a file.
 *
 * @example
 * ```ts
 * identifiersOf(parse('const $ = 1', 'a.ts').sf).has('$') // true
 * ```
 */
export function identifiersOf(sf: ts.SourceFile): Set<string> {
  const found = new Set<string>()
  const visit = (node: ts.Node): void => {
    if (isIdentifier(node) || isPrivateIdentifier(node)) found.add(node.text)
    forEachChild(node, visit)
  }
  visit(sf)
  return found
}

/**
 * Allocates temporaries (`$k1`, `$c2`...) that no identifier of the file uses.
 *
 * @example
 * ```ts
 * const names = new TempNames(new Set(['$k1']))
 * names.next('$k') // '$k2'
 * ```
 */
export class TempNames {
  private counter = 0
  constructor(private readonly taken: Set<string>) {}

  /** The first of `wanted` that is free, else `wanted[0]` with `$` prefixes until free. */
  reserve(...wanted: string[]): string {
    for (const name of wanted) {
      if (!this.taken.has(name)) {
        this.taken.add(name)
        return name
      }
    }
    let name = wanted[0]!
    while (this.taken.has(name)) name = `$${name}`
    this.taken.add(name)
    return name
  }

  /** A fresh numbered temporary. */
  next(prefix: string): string {
    let name: string
    do name = `${prefix}${++this.counter}`
    while (this.taken.has(name))
    this.taken.add(name)
    return name
  }
}

/**
 * Stable node ids within one forward(): the base when first used, then `base_2`, `base_3`...
 *
 * @example
 * ```ts
 * const ids = new NodeIds()
 * ids.take('facts') // 'facts'
 * ids.take('facts') // 'facts_2'
 * ```
 */
export class NodeIds {
  private readonly used = new Set<string>()
  private readonly counts = new Map<string, number>()

  take(base: string): string {
    const clean = readable(base).replace(/[^\w$.]/g, '_') || 'node'
    let count = this.counts.get(clean) ?? 0
    let id: string
    do {
      count++
      id = count === 1 ? clean : `${clean}_${count}`
    } while (this.used.has(id))
    this.counts.set(clean, count)
    this.used.add(id)
    return id
  }
}

/** The value and flag of a `return` ending a `try` or `catch` block (`$r1`, `$d2`; desugar.ts) are shown as `return` and `returned`. */
function readable(base: string): string {
  return /^\$r\d+$/.test(base) ? 'return' : /^\$d\d+$/.test(base) ? 'returned' : base
}
