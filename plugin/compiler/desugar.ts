/**
 * A pass before the others, rewriting two shapes in place and line for line into code the other
 * passes compile:
 * - a `switch` on a pending value becomes the `if`/`else if` chain it means, which the compiler
 *   lowers to conditional nodes. Only switches whose meaning an `if` chain keeps are rewritten:
 *   every clause with statements ends in `break`, `return` or `throw` (or is the last), no other
 *   `break` leaves the switch, `default` comes last, case values are plain, and no `let`/`const`
 *   of one clause is read in another. Other switches on pending values stay PL202.
 * - a `try` around module calls whose `try` and/or `catch` block ends in `return`: the `return`s
 *   assign the value and a flag, and the statement is followed by `if (flag) return value`, so
 *   the `try` becomes a failure scope like any other (`return` elsewhere in it stays PL201).
 */
import type ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  forEachChild, isBreakStatement, isCaseClause, isDefaultClause, isIdentifier,
  isIterationStatement, isReturnStatement, isSwitchStatement, isThrowStatement,
  isVariableStatement,
} from 'typescript'
import type { TryStatement } from 'typescript'
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

/** What `desugar` rewrites. */
export interface Rewrites {
  /** Switches on pending values (`canDesugarSwitch`). */
  switches: ts.SwitchStatement[]
  /** `try` statements whose blocks end in `return`. */
  tryReturns: TryStatement[]
}

/**
 * Rewrites the switches of `source` into `if` chains and the `return`s ending `try`/`catch`
 * blocks into assignments, keeping every line (and the columns of the code inside); gives the
 * new text and its source map. `fresh(prefix)` gives a name not used in the file.
 *
 * @example
 * ```ts
 * const { code } = desugar(source, sf, { switches: [switchStatement], tryReturns: [] }, (prefix) => `${prefix}1`, fileId)
 * // switch (label) { case 'a': return x; default: return y }
 * // { const $s1 = label; if ($s1 === ('a')) { return x; } else { return y } }
 * // try { return this.a(x) } catch { return 'none' }
 * // let $r1, $d1 = false; try { $r1 =  this.a(x); $d1 = true } catch { $r1 =  'none'; $d1 = true }; if ($d1) return $r1
 * ```
 */
export function desugar(source: string, sf: ts.SourceFile, rewrites: Rewrites, fresh: (prefix: string) => string, fileId: string) {
  const ms = new MagicString(source)
  const replace = (start: number, end: number, text: string) => {
    const breaks = source.slice(start, end).split('\n').length - 1
    if (start === end) ms.appendLeft(start, text)
    else ms.update(start, end, text + '\n'.repeat(breaks))
  }
  for (const statement of rewrites.tryReturns) {
    const value = fresh('$r')
    const done = fresh('$d')
    // Declared at the start of the enclosing block, so no code on the statement's lines moves.
    const block = statement.parent as ts.Block
    const opening = block.statements[0]!.pos
    ms.appendLeft(opening, ` let ${value}, ${done} = false;`)
    for (const part of [statement.tryBlock, statement.catchClause?.block]) {
      const last = part?.statements[part.statements.length - 1]
      if (last === undefined || !isReturnStatement(last)) {
        // A catch block that does not return: nothing was returned (the try block failed before its end).
        if (part !== undefined && part === statement.catchClause?.block) ms.appendLeft(part.statements[0]?.pos ?? part.end - 1, ` ${done} = false; ${value} = undefined;`)
        continue
      }
      const keyword = last.getStart(sf)
      // `$r1 = ` takes the place of `return`, padded to its width, so the value keeps its columns.
      const assignment = `${value} =`.padEnd('return'.length)
      if (last.expression) replace(keyword, keyword + 'return'.length, assignment)
      else replace(keyword, last.end, `${value} = undefined;`)
      ms.appendLeft(last.end, `${source[last.end - 1] === ';' ? '' : ';'} ${done} = true;`)
    }
    ms.appendLeft(statement.end, ` if (${done}) return ${value};`)
  }
  for (const statement of rewrites.switches) {
    const name = fresh('$s')
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
