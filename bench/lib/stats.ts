/** Small statistics over timing samples. */

/** The median of `samples` (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Smallest and largest sample. */
export function range(samples: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...samples), max: Math.max(...samples) }
}

/** The median of the ratios of paired samples (`a[i] / b[i]`): drift between pairs cancels out. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, index) => value / b[index]!))
}

/** The median of the differences of paired samples (`a[i] - b[i]`). */
export function pairedDifference(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, index) => value - b[index]!))
}
