/**
 * The plain sequential reference of a fixture, derived mechanically from its source: every
 * forward() becomes async, every module call is awaited where it stands, and `.map()`/`.forEach()`
 * with a callback that calls modules runs one item after another; a module call inside a `try`
 * block runs as a run of its own (`solo`), so that its failure is caught like a failed `await`
 * instead of failing the whole run. Its results and side effects are what the original program
 * means; compiled code must give the same.
 */
import ts from 'typescript'
import MagicString from 'magic-string'
import { findCandidates } from '../../plugin/compiler/candidates.js'
import { parse } from '../../plugin/compiler/parse.js'
import { computePending, skipOuter } from '../../plugin/compiler/pending.js'
import { analyzeScope, isFunctionLike } from '../../plugin/compiler/scope.js'

/**
 * The sequential version of `source`.
 *
 * @example
 * ```ts
 * writeFileSync('ref.ts', sequentialReference(source, 'fixtures/compiler/strings.ts', './support.js'))
 * ```
 */
export function sequentialReference(source: string, fileId: string, supportImport: string, soloImport = '../../test/compiler/solo.js'): string {
  const parsed = parse(source, fileId)
  const { imports, candidates } = findCandidates(parsed)
  const ms = new MagicString(source)
  let solos = 0
  for (const candidate of candidates) {
    const facts = computePending(candidate, imports, analyzeScope(candidate.forward))
    const forward = candidate.forward
    if (!forward.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.AsyncKeyword)) ms.prependRight(forward.name.getStart(parsed.sf), 'async ')
    const visit = (node: ts.Node): void => {
      ts.forEachChild(node, visit)
      if (!ts.isCallExpression(node)) return
      const start = node.getStart(parsed.sf)
      if (facts.moduleCall(node)) {
        const guarded = ts.findAncestor(node, (ancestor) => ancestor === forward || (ts.isBlock(ancestor) && ts.isTryStatement(ancestor.parent) && ancestor.parent.tryBlock === ancestor))
        if (guarded !== undefined && guarded !== forward) {
          solos++
          ms.prependRight(start, '(await __solo(async () => ')
          ms.appendLeft(node.end, '))')
          return
        }
        ms.prependRight(start, '(await ')
        ms.appendLeft(node.end, ')')
        return
      }
      const callee = skipOuter(node.expression)
      const callback = node.arguments[0]
      if (ts.isPropertyAccessExpression(callee) && (callee.name.text === 'map' || callee.name.text === 'forEach') && callback && isFunctionLike(skipOuter(callback)) && facts.containsModuleCall(callback)) {
        ms.prependRight(callee.expression.getStart(parsed.sf), '(await __seqMap(')
        ms.update(callee.expression.end, callback.getStart(parsed.sf), ', async ')
        ms.appendLeft(node.end, ')')
      }
    }
    if (forward.body) visit(forward.body)
  }
  ms.prepend(`import { seqMap as __seqMap } from '${supportImport}';${solos > 0 ? `import { solo as __solo } from '${soloImport}';` : ''}`)
  return ms.toString()
}
