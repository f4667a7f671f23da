/**
 * A pass before the others, for `switch` on a pending value: it is rewritten, in place and line
 * for line, into the `if`/`else if` chain it means, which the compiler lowers to conditional
 * nodes. Only switches whose meaning an `if` chain keeps are rewritten: every clause with
 * statements ends in `break`, `return` or `throw` (or is the last), no other `break` leaves the
 * switch, `default` comes last, case values are plain, and no `let`/`const` of one clause is read
 * in another. Other switches on pending values stay PL202.
 */
import type ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  forEachChild, isBreakStatement, isCaseClause, isDefaultClause, isIdentifier,
  isIterationStatement, isReturnStatement, isSwitchStatement, isThrowStatement,
  isVariableStatement,
} from 'typescript'
import MagicString from 'magic-string'
import { isFunctionLike } from './scope.js'

/**
 * Whether `statement` can be rewritten as an `if` chain.
 *
 * @example
 * ```ts
 * canDesugarSwitch(switchStatement, (expression) => facts.isPending(expression)) // true for `switch (label) { case 'a': return x; default: return y }`
 * ```
 */
export function canDesugarSwitch(statement: ts.SwitchStatement, isPending: (expression: ts.Expression) => boolean): boolean {
  const clauses = statement.caseBlock.clauses
  if (clauses.length === 0) return false
  const defaultIndex = clauses.findIndex((clause) => isDefaultClause(clause))
  if (defaultIndex !== -1 && defaultIndex !== clauses.length - 1) return false
  for (const [index, clause] of clauses.entries()) {
    if (isCaseClause(clause) && isPending(clause.expression)) return false
    const statements = clause.statements
    if (statements.length === 0) {
      if (index === clauses.length - 1) return false
      continue
    }
    const last = statements[statements.length - 1]!
    const ends = (isBreakStatement(last) && !last.label) || isReturnStatement(last) || isThrowStatement(last)
    if (!ends && index !== clauses.length - 1) return false
    // No other `break` of this switch.
    const body = isBreakStatement(last) ? statements.slice(0, -1) : statements
    let breaks = false
    const visit = (node: ts.Node, nested: boolean): void => {
      if (breaks || isFunctionLike(node)) return
      if (isBreakStatement(node) && (node.label || !nested)) breaks = true
      const inner = nested || isIterationStatement(node, false) || isSwitchStatement(node)
      forEachChild(node, (child) => visit(child, inner))
    }
    body.forEach((item) => visit(item, false))
    if (breaks) return false
    // Declarations of a clause stay in it.
    const declared = new Set<string>()
    for (const item of statements) {
      if (isVariableStatement(item)) for (const declaration of item.declarationList.declarations) if (isIdentifier(declaration.name)) declared.add(declaration.name.text)
    }
    if (declared.size > 0) {
      for (const other of clauses) {
        if (other === clause) continue
        let used = false
        const find = (node: ts.Node): void => {
          if (used) return
          if (isIdentifier(node) && declared.has(node.text)) used = true
          forEachChild(node, find)
        }
        find(other)
        if (used) return false
      }
    }
  }
  return true
}

/**
 * Rewrites `switches` of `source` into `if` chains, keeping every line; gives the new text and
 * its source map.
 *
 * @example
 * ```ts
 * const { code } = desugarSwitches(source, sf, [switchStatement], () => '$s1')
 * // switch (label) { case 'a': return x; default: return y }
 * // { const $s1 = label; if ($s1 === ('a')) { return x; } else { return y } }
 * ```
 */
export function desugarSwitches(source: string, sf: ts.SourceFile, switches: ts.SwitchStatement[], fresh: () => string, fileId: string) {
  const ms = new MagicString(source)
  const replace = (start: number, end: number, text: string) => {
    const breaks = source.slice(start, end).split('\n').length - 1
    if (start === end) ms.appendLeft(start, text)
    else ms.update(start, end, text + '\n'.repeat(breaks))
  }
  for (const statement of switches) {
    const name = fresh()
    const clauses = statement.caseBlock.clauses
    replace(statement.getStart(sf), statement.expression.getStart(sf), `{ const ${name} = (`)
    replace(statement.expression.end, statement.caseBlock.getStart(sf) + 1, ');')
    let tests: string[] = []
    let opened = false
    for (const clause of clauses) {
      // Only the label (`case x:`) is replaced, so the statements keep their columns.
      const start = clause.getStart(sf)
      const colon = source.indexOf(':', isCaseClause(clause) ? clause.expression.end : start + 'default'.length) + 1
      if (isCaseClause(clause)) tests.push(`${name} === (${source.slice(clause.expression.getStart(sf), clause.expression.end)})`)
      if (clause.statements.length === 0 && !isDefaultClause(clause)) {
        replace(start, colon, '')
        continue
      }
      const head = isDefaultClause(clause) ? (opened ? '} else {' : '{') : `${opened ? '} else ' : ''}if (${tests.join(' || ')}) {`
      replace(start, colon, head)
      opened = true
      const last = clause.statements[clause.statements.length - 1]
      if (last && isBreakStatement(last)) replace(last.getStart(sf), last.end, '')
      tests = []
    }
    replace(statement.caseBlock.end - 1, statement.caseBlock.end, '} }')
  }
  return { code: ms.toString(), map: ms.generateMap({ hires: 'boundary', source: fileId, file: fileId, includeContent: true }) }
}
