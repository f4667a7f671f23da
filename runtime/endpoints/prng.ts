/**
 * A 32-bit FNV-1a hash of a string: stable across runs and platforms, for deterministic choices.
 *
 * @example
 * ```ts
 * hashString('hello') // 1335831723
 * ```
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * A seeded pseudo-random generator (mulberry32): each call returns the next number in [0, 1).
 * The same seed gives the same sequence.
 *
 * @example
 * ```ts
 * const random = seededRandom(42)
 * random() // always the same first number for seed 42
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
