/** Deterministic sample documents: a few sentences each, different per index. */

const subjects = ['The river', 'A small bakery', 'The new library', 'Our team', 'The old bridge', 'A local farm', 'The museum', 'The city council']
const verbs = ['opened', 'repaired', 'expanded', 'reviewed', 'celebrated', 'replaced', 'measured', 'announced']
const objects = ['a north wing', 'its budget', 'the harvest', 'a public garden', 'the schedule', 'two new routes', 'its records', 'a summer program']

/**
 * Document number `index`: four sentences, stable across runs.
 *
 * @example
 * ```ts
 * sampleDoc(0) // 'The river opened a north wing in 2001. ...'
 * ```
 */
export function sampleDoc(index: number): string {
  const sentences: string[] = []
  for (let line = 0; line < 4; line++) {
    const k = index * 7 + line * 3
    sentences.push(`${subjects[k % subjects.length]} ${verbs[(k + line) % verbs.length]} ${objects[(k + 2 * line) % objects.length]} in ${2000 + ((index + line) % 25)}.`)
  }
  return `Document ${index + 1}. ${sentences.join(' ')}`
}
