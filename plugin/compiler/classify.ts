/**
 * Passes 5 and 6, classify and validate: decides how each statement of a forward() is lowered
 * (a plain statement, a conditional that carries assigned variables out of its branches, a
 * conditional or loop after which the rest of forward() continues, a loop mapped over a pending
 * array) and reports what cannot be compiled, as catalogue diagnostics.
 */
import type ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  NodeFlags, SyntaxKind, findAncestor, forEachChild, isArrayLiteralExpression, isArrowFunction,
  isAwaitExpression, isBinaryExpression, isBindingElement, isBlock, isBreakStatement,
  isCallExpression, isClassLike, isComputedPropertyName, isContinueStatement, isDeleteExpression,
  isDoStatement, isElementAccessExpression, isExpression, isExpressionStatement, isForInStatement,
  isForOfStatement, isForStatement, isFunctionDeclaration, isFunctionExpression, isIdentifier,
  isIfStatement, isIterationStatement, isLabeledStatement, isNewExpression,
  isObjectLiteralExpression, isPostfixUnaryExpression, isPrefixUnaryExpression,
  isPropertyAccessExpression, isPropertyAssignment, isReturnStatement,
  isShorthandPropertyAssignment, isSpreadElement, isStatement, isSwitchStatement,
  isTaggedTemplateExpression, isThrowStatement, isTryStatement, isVariableDeclaration,
  isVariableStatement, isWhileStatement, isWithStatement, isYieldExpression,
} from 'typescript'
import type { Diagnostic } from '../../src/graph/types.js'
import { makeDiagnostic, type DiagnosticCode } from './diagnostics.js'
import { moduleExports, plaitName } from './candidates.js'
import { lineColumn, lineText, type Parsed } from './parse.js'
import { skipOuter, type Facts } from './pending.js'
import { canDesugarSwitch } from './desugar.js'
import { isFunctionLike, mutatingMethods, type Binding } from './scope.js'

/** How one statement is lowered. */
export type StatementPlan =
  /** An `if` on a plain value; `continues` when a branch holds a continuation. */
  | { kind: 'if-plain'; continues: boolean }
  /** An `if` on a pending value whose branches assign outer variables: `[a, b] = cond(...)`. */
  | { kind: 'if-values'; assigned: Binding[]; snapshot: Binding[]; ordered: boolean }
  /** An `if` on a pending value after which the rest of the function continues inside the branches. */
  | { kind: 'if-continue' }
  /** A loop over a plain array, or any other plain loop. */
  | { kind: 'loop-plain' }
  /** `for..of` over a pending array whose body is self-contained: a map node. */
  | { kind: 'for-map'; snapshot: Binding[] }
  /** `for..of` over a pending array: the loop and the rest of the function run once it resolves. */
  | { kind: 'for-after' }
  /** A `for(;;)`/`while` whose test reads values that may be pending (not made in the loop): they resolve first. */
  | { kind: 'loop-after'; bindings: Binding[] }
  /** A `try` without module calls that reads pending values: they resolve first, then it runs as written. */
  | { kind: 'try-after'; bindings: Binding[] }
  /** A block holding a continuation. */
  | { kind: 'block-continue' }
  /**
   * A `try` around module calls: `$.attempt(...)` with the `try`, `catch` and `finally` blocks as
   * functions. `main` are the outer variables the `try` and `catch` blocks assign, `last` those
   * the `finally` block assigns; each block works on copies and hands them back.
   */
  | { kind: 'try-attempt'; main: Binding[]; last: Binding[] }
  /**
   * A `while` whose test is pending (it may call modules): one conditional per round, each round
   * making the next, `[a, b] = rounds(a, b)`. `assigned` are the outer variables the loop assigns,
   * `snapshot` those it reads or assigns that forward() reassigns (passed from round to round).
   */
  | { kind: 'while-rounds'; assigned: Binding[]; snapshot: Binding[]; ordered: boolean }

/** Result of the passes. */
export interface Classification {
  plans: Map<ts.Statement, StatementPlan>
  diagnostics: Diagnostic[]
  /** `await`s on values that are not pending: kept, so forward() stays async. */
  keptAwaits: ts.AwaitExpression[]
  /** A PL2xx was found: leave forward() to the tracer. */
  fallback: boolean
  /** Switches on pending values to rewrite as `if` chains first. */
  switches: ts.SwitchStatement[]
  /** `try` statements around module calls whose `try` or `catch` block ends in `return`: rewritten first (see desugar.ts). */
  tryReturns: ts.TryStatement[]
}

interface Context {
  /** The rest of the enclosing function may move into a continuation. */
  canContinue: boolean
  inLoop: boolean
  /** Code that may run later than the code after it (a branch on a pending value, a callback over a pending array). */
  deferred: ts.Node | undefined
}

/** Array methods whose callback result is needed at once, with the helper to use instead. */
const syncCallbackHelpers: Record<string, string> = {
  filter: 'pfilter',
  find: 'pfind',
  findIndex: 'pfind',
  findLast: 'pfind',
  findLastIndex: 'pfind',
  some: 'psome',
  every: 'pevery',
  sort: 'psortBy',
  toSorted: 'psortBy',
  reduce: 'pmap',
  reduceRight: 'pmap',
  flatMap: 'pmap',
}

/**
 * Whether `inner` is `outer` or inside it.
 *
 * @example
 * ```ts
 * within(binding.decl, ifStatement) // declared inside the if
 * ```
 */
export function within(inner: ts.Node, outer: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end
}

/**
 * Classifies the statements of a forward() and validates it.
 *
 * @example
 * ```ts
 * const { plans, diagnostics } = classify(parsed, facts)
 * ```
 */
export function classify(parsed: Parsed, facts: Facts, strict = false): Classification {
  const plans = new Map<ts.Statement, StatementPlan>()
  const diagnostics: Diagnostic[] = []
  const keptAwaits: ts.AwaitExpression[] = []
  let fallback = false
  const switches: ts.SwitchStatement[] = []
  const tryReturns: ts.TryStatement[] = []
  let closures = false
  const { forward } = facts.candidate
  const scope = facts.scope

  const report = (code: DiagnosticCode, node: ts.Node, values: Record<string, string> = {}): void => {
    const start = node.getStart(parsed.sf)
    const { line, column } = lineColumn(parsed, start)
    const diagnostic = makeDiagnostic(code, { file: parsed.file, line, column, lineText: lineText(parsed, line) }, values, strict)
    if (code.startsWith('PL2')) fallback = true
    if (!diagnostics.some((existing) => existing.code === diagnostic.code && existing.location?.line === line && existing.location.column === column)) diagnostics.push(diagnostic)
  }

  const declaredIn = (binding: Binding, region: ts.Node): boolean => within(binding.decl, region)

  /** Outer bindings assigned, changed in place, or read inside `region`. */
  const outerUse = (region: ts.Node) => {
    const assigned: Binding[] = []
    const mutated: Binding[] = []
    const read: Binding[] = []
    const add = (list: Binding[], binding: Binding | undefined) => {
      if (binding && !declaredIn(binding, region) && !list.includes(binding)) list.push(binding)
    }
    const root = (expression: ts.Expression): Binding | undefined => {
      let current = skipOuter(expression)
      while (isPropertyAccessExpression(current) || isElementAccessExpression(current)) current = skipOuter(current.expression)
      return isIdentifier(current) ? scope.refs.get(current) : undefined
    }
    const target = (expression: ts.Expression): void => {
      const inner = skipOuter(expression)
      if (isIdentifier(inner)) add(assigned, scope.refs.get(inner))
      else if (isPropertyAccessExpression(inner) || isElementAccessExpression(inner)) add(mutated, root(inner))
      else if (isArrayLiteralExpression(inner)) inner.elements.forEach((element) => target(isSpreadElement(element) ? element.expression : element))
      else if (isObjectLiteralExpression(inner)) {
        for (const property of inner.properties) {
          if (isShorthandPropertyAssignment(property)) target(property.name)
          else if (isPropertyAssignment(property)) target(property.initializer)
        }
      }
    }
    const visit = (node: ts.Node): void => {
      if (isBinaryExpression(node) && node.operatorToken.kind >= SyntaxKind.FirstAssignment && node.operatorToken.kind <= SyntaxKind.LastAssignment) target(node.left)
      else if ((isPrefixUnaryExpression(node) || isPostfixUnaryExpression(node)) && (node.operator === SyntaxKind.PlusPlusToken || node.operator === SyntaxKind.MinusMinusToken)) target(node.operand)
      else if (isDeleteExpression(node)) target(node.expression)
      else if (isCallExpression(node) && isPropertyAccessExpression(node.expression) && mutatingMethods.has(node.expression.name.text)) add(mutated, root(node.expression.expression))
      if (isIdentifier(node)) add(read, scope.refs.get(node))
      forEachChild(node, visit)
    }
    visit(region)
    return { assigned, mutated, read }
  }

  /** `return`, `throw`, or `break`/`continue` leaving `region`. */
  const hasExit = (region: ts.Node): ts.Node | undefined => {
    let found: ts.Node | undefined
    const visit = (node: ts.Node, loops: number, switches: number): void => {
      if (found || isFunctionLike(node) || isClassLike(node)) return
      if (isReturnStatement(node) || isThrowStatement(node)) found = node
      else if (isBreakStatement(node) && (node.label || loops + switches === 0)) found = node
      else if (isContinueStatement(node) && (node.label || loops === 0)) found = node
      const loop = isIterationStatement(node, false) ? 1 : 0
      const inSwitch = isSwitchStatement(node) ? 1 : 0
      forEachChild(node, (child) => visit(child, loops + loop, switches + inSwitch))
    }
    visit(region, 0, 0)
    return found
  }

  const containsCallOrEffect = (node: ts.Node): boolean => {
    let found = false
    const visit = (child: ts.Node): void => {
      if (found) return
      if (isCallExpression(child) || isNewExpression(child) || isThrowStatement(child) || isTaggedTemplateExpression(child)) found = true
      else if (isBinaryExpression(child) && child.operatorToken.kind >= SyntaxKind.FirstAssignment && child.operatorToken.kind <= SyntaxKind.LastAssignment && !isIdentifier(skipOuter(child.left))) found = true
      else forEachChild(child, visit)
    }
    visit(node)
    return found
  }

  /** Classifies a list of statements; true when one of them is a continuation point. */
  const list = (statements: readonly ts.Statement[], context: Context): boolean => {
    let continues = false
    for (const statement of statements) {
      // The rest of a list after a continuation moves into a function: a function declared there
      // would no longer be hoisted to code before it.
      if (continues && isFunctionDeclaration(statement)) report('PL111', statement, { what: 'A function declared after a branch or loop on an LLM result', how: 'Declare the function before the branch, or as a method of the module' })
      if (stmt(statement, context)) continues = true
    }
    return continues
  }
  const block = (statement: ts.Statement, context: Context): boolean => (isBlock(statement) ? list(statement.statements, context) : stmt(statement, context))

  /** Classifies one statement; true when it is a continuation point. */
  const stmt = (statement: ts.Statement, context: Context): boolean => {
    expressions(statement, context)
    if (isBlock(statement)) {
      const continues = list(statement.statements, context)
      if (continues) plans.set(statement, { kind: 'block-continue' })
      return continues
    }
    if (isIfStatement(statement)) {
      if (!facts.isPending(statement.expression)) {
        const continues = block(statement.thenStatement, context) || (statement.elseStatement ? block(statement.elseStatement, context) : false)
        plans.set(statement, { kind: 'if-plain', continues })
        return continues
      }
      closures = true
      const exit = hasExit(statement.thenStatement) ?? (statement.elseStatement ? hasExit(statement.elseStatement) : undefined)
      if (exit && context.inLoop) {
        report('PL109', exit, { keyword: isReturnStatement(exit) ? 'return' : isThrowStatement(exit) ? 'throw' : isBreakStatement(exit) ? 'break' : 'continue' })
        return false
      }
      const branches = [statement.thenStatement, ...(statement.elseStatement ? [statement.elseStatement] : [])]
      const uses = branches.map(outerUse)
      const mutated = uses.flatMap((use) => use.mutated)
      const readsMutated = uses.flatMap((use) => use.read).filter((binding) => binding.mutated)
      const inner: Context = { canContinue: false, inLoop: context.inLoop, deferred: statement }
      // A trial run: do the branches need a continuation of their own?
      const needsContinuation = exit !== undefined || mutated.length > 0 || readsMutated.length > 0 || branches.some((branch) => branchNeedsContinuation(branch))
      if (needsContinuation) {
        if (!context.canContinue) {
          const culprit = mutated[0] ?? readsMutated[0]
          report('PL110', statement, { what: 'This `if` on an LLM result', name: culprit?.name ?? 'state' })
          return false
        }
        plans.set(statement, { kind: 'if-continue' })
        for (const branch of branches) block(branch, { canContinue: true, inLoop: false, deferred: undefined })
        return true
      }
      const assigned = uses.flatMap((use) => use.assigned).filter((binding, index, all) => all.indexOf(binding) === index)
      const snapshot = uses
        .flatMap((use) => [...use.read, ...use.assigned])
        .filter((binding, index, all) => all.indexOf(binding) === index && binding.reassigned)
      plans.set(statement, { kind: 'if-values', assigned, snapshot, ordered: branches.some(containsCallOrEffect) })
      for (const branch of branches) block(branch, inner)
      return false
    }
    if (isForOfStatement(statement)) {
      if (statement.awaitModifier) {
        report('PL203', statement, { what: '`for await`', how: 'Collect the items first (`const items = await Array.fromAsync(stream)`) and pass them to the pipeline' })
        return false
      }
      if (!facts.isPending(statement.expression)) {
        plans.set(statement, { kind: 'loop-plain' })
        block(statement.statement, { canContinue: false, inLoop: true, deferred: context.deferred })
        return false
      }
      closures = true
      const use = outerUse(statement.statement)
      const exit = hasExit(statement.statement)
      const pure = !exit && use.assigned.length === 0 && use.mutated.length === 0
      if (pure) {
        plans.set(statement, { kind: 'for-map', snapshot: use.read.filter((binding) => binding.reassigned) })
        block(statement.statement, { canContinue: false, inLoop: true, deferred: statement })
        return false
      }
      if (!context.canContinue) {
        report('PL110', statement, { what: 'This loop over a pending array', name: (use.mutated[0] ?? use.assigned[0])?.name ?? 'state' })
        return false
      }
      plans.set(statement, { kind: 'for-after' })
      block(statement.statement, { canContinue: false, inLoop: true, deferred: undefined })
      return true
    }
    if (isForStatement(statement) || isWhileStatement(statement) || isDoStatement(statement)) {
      const parts = isForStatement(statement) ? [statement.condition, statement.incrementor] : [statement.expression]
      const pending = parts.find((part) => part !== undefined && facts.isPending(part))
      if (pending && isWhileStatement(statement)) {
        // Rounds of conditionals: each round's test decides whether the next round is made.
        const use = outerUse(statement)
        const exit = exitOf(statement.statement)
        const readsMutated = use.read.find((binding) => binding.mutated)
        if (exit === undefined && use.mutated.length === 0 && readsMutated === undefined && !branchNeedsContinuation(statement.statement)) {
          closures = true
          const snapshot = [...use.read, ...use.assigned].filter((binding, index, all) => all.indexOf(binding) === index && binding.reassigned)
          plans.set(statement, { kind: 'while-rounds', assigned: use.assigned, snapshot, ordered: containsCallOrEffect(statement.statement) })
          block(statement.statement, { canContinue: false, inLoop: true, deferred: statement })
          return false
        }
      }
      if (pending) {
        // Values the test reads that exist before the loop and that it does not change (an input
        // array's length) can resolve first; the loop and the rest of forward() then run on them.
        const read: Binding[] = []
        let inner = false
        const collect = (node: ts.Node): void => {
          if (isIdentifier(node)) {
            const binding = scope.refs.get(node)
            if (binding?.pending) {
              if (within(binding.decl, statement)) inner = true
              else if (!read.includes(binding)) read.push(binding)
            }
          }
          forEachChild(node, collect)
        }
        parts.forEach((part) => part && collect(part))
        const use = outerUse(statement)
        const changed = read.some((binding) => use.assigned.includes(binding) || use.mutated.includes(binding))
        if (inner || changed || parts.some((part) => part !== undefined && facts.containsModuleCall(part)) || !context.canContinue) {
          report('PL103', pending)
          return false
        }
        closures = true
        plans.set(statement, { kind: 'loop-after', bindings: read })
        block(statement.statement, { canContinue: false, inLoop: true, deferred: undefined })
        return true
      }
      plans.set(statement, { kind: 'loop-plain' })
      block(statement.statement, { canContinue: false, inLoop: true, deferred: context.deferred })
      return false
    }
    if (isForInStatement(statement)) {
      if (facts.isPending(statement.expression)) report('PL111', statement.expression, { what: '`for..in` over a pending value', how: 'Select the fields you need (`reply.title`), or `await` the value first in an async forward()' })
      plans.set(statement, { kind: 'loop-plain' })
      block(statement.statement, { canContinue: false, inLoop: true, deferred: context.deferred })
      return false
    }
    if (isSwitchStatement(statement)) {
      if (facts.isPending(statement.expression)) {
        // Rewritten into an if chain before compiling again (see desugar.ts), when it means one.
        if (canDesugarSwitch(statement, (expression) => facts.isPending(expression))) switches.push(statement)
        else report('PL202', statement.expression)
      }
      for (const clause of statement.caseBlock.clauses) list(clause.statements, { canContinue: false, inLoop: true, deferred: context.deferred })
      return false
    }
    if (isTryStatement(statement)) {
      if (facts.containsModuleCall(statement)) {
        // Rewritten to assign the value and return it after the statement, then compiled again.
        if (!context.inLoop && isBlock(statement.parent) && returnsAtEnd(statement)) {
          tryReturns.push(statement)
          return false
        }
        const plan = attemptPlan(statement)
        if (!plan) return false
        closures = true
        plans.set(statement, plan)
        const inner: Context = { canContinue: true, inLoop: false, deferred: statement }
        block(statement.tryBlock, inner)
        if (statement.catchClause) block(statement.catchClause.block, inner)
        if (statement.finallyBlock) block(statement.finallyBlock, inner)
        return false
      }
      if (![statement.tryBlock, statement.catchClause, statement.finallyBlock].some((part) => part && containsPending(part))) return false
      // No module calls, only values that may be pending (`JSON.parse(reply)`): they resolve
      // first, then the statement runs as written and the rest of forward() after it.
      if (!context.canContinue) {
        report('PL201', statement, { what: 'A `try` on LLM results inside a branch, a loop or a callback on LLM results', how: 'Move the `try` into a helper function that gets the resolved values (`const data = parseOr(reply, {})`)' })
        return false
      }
      const read: Binding[] = []
      const collect = (node: ts.Node): void => {
        if (isIdentifier(node)) {
          const binding = scope.refs.get(node)
          if (binding?.pending && !within(binding.decl, statement) && !read.includes(binding)) read.push(binding)
        }
        forEachChild(node, collect)
      }
      collect(statement)
      closures = true
      plans.set(statement, { kind: 'try-after', bindings: read })
      return true
    }
    if (isVariableStatement(statement) && !(statement.declarationList.flags & NodeFlags.BlockScoped) && statement.parent !== forward.body) {
      report('PL107', statement, { what: '`var` inside a block', how: 'declare it with `let` before the block' })
      return false
    }
    if (isLabeledStatement(statement)) {
      report('PL107', statement, { what: 'A labelled statement', how: 'use a flag variable or split the loop into a helper' })
      return false
    }
    if (isWithStatement(statement)) {
      report('PL107', statement, { what: '`with`', how: 'name the object (`obj.field`)' })
      return false
    }
    return false
  }

  /** `return`, or `break`/`continue` leaving `region` (a `throw` is a failure like any other). */
  const exitOf = (region: ts.Node): ts.Node | undefined => {
    const exit = hasExit(region)
    if (exit === undefined || !isThrowStatement(exit)) return exit
    let found: ts.Node | undefined
    const visit = (node: ts.Node, loops: number): void => {
      if (found || isFunctionLike(node) || isClassLike(node)) return
      if (isReturnStatement(node)) found = node
      else if ((isBreakStatement(node) || isContinueStatement(node)) && (node.label || loops === 0)) found = node
      const loop = isIterationStatement(node, false) || isSwitchStatement(node) ? 1 : 0
      forEachChild(node, (child) => visit(child, loops + loop))
    }
    visit(region, 0)
    return found
  }

  /**
   * Whether the only ways out of a `try` statement's blocks, besides failing, are a `return` as the
   * last statement of the `try` block and of the `catch` block (at least one of them), none in
   * `finally`: the shape `desugarTryReturns` rewrites.
   */
  const returnsAtEnd = (statement: ts.TryStatement): boolean => {
    if (statement.finallyBlock && exitOf(statement.finallyBlock)) return false
    let returns = false
    for (const part of [statement.tryBlock, statement.catchClause?.block]) {
      if (part === undefined || part.statements.length === 0) continue
      const last = part.statements[part.statements.length - 1]!
      if (part.statements.slice(0, -1).some((item) => exitOf(item))) return false
      if (isReturnStatement(last)) returns = true
      else if (exitOf(last)) return false
    }
    return returns
  }

  /** The plan of a `try` around module calls, or undefined after reporting why it is left to the tracer. */
  const attemptPlan = (statement: ts.TryStatement): StatementPlan | undefined => {
    const handler = statement.catchClause?.block
    const finalizer = statement.finallyBlock
    for (const part of [statement.tryBlock, handler, finalizer]) {
      const exit = part && exitOf(part)
      if (exit) {
        const keyword = isReturnStatement(exit) ? 'return' : isBreakStatement(exit) ? 'break' : 'continue'
        report('PL201', exit, { what: `\`${keyword}\` inside a \`try\` around module calls`, how: `Assign the result to a variable in the \`try\` and \`catch\` blocks and ${keyword === 'return' ? 'return it' : `\`${keyword}\``} after the statement` })
        return undefined
      }
    }
    const tried = outerUse(statement.tryBlock)
    const caught = handler ? outerUse(handler) : { assigned: [], mutated: [], read: [] }
    const last = finalizer ? outerUse(finalizer) : { assigned: [], mutated: [], read: [] }
    // The blocks run on copies of the variables they assign: changes in place would leak.
    const mutated = tried.mutated[0] ?? caught.mutated[0] ?? last.mutated[0]
    if (mutated) {
      report('PL201', statement, { what: `A \`try\` around module calls that changes \`${mutated.name}\` in place`, how: `Assign a new value instead (\`${mutated.name} = [...${mutated.name}, item]\`), in the \`try\` block and, as a fallback, in the \`catch\` block` })
      return undefined
    }
    // What the try block assigned before it failed is not known: the catch and finally blocks must not read it.
    const readsTried = [...caught.read.filter((binding) => !assignedFirst(handler!, binding)), ...last.read].find((binding) => tried.assigned.includes(binding))
    if (readsTried) {
      report('PL201', statement, { what: `The \`catch\` or \`finally\` block reads \`${readsTried.name}\`, which the \`try\` block assigns`, how: `Read a variable assigned before the \`try\`, or assign \`${readsTried.name}\` in the \`catch\` block before reading it` })
      return undefined
    }
    const clash = last.assigned.find((binding) => tried.assigned.includes(binding) || caught.assigned.includes(binding)) ?? last.read.find((binding) => caught.assigned.includes(binding))
    if (clash) {
      report('PL201', statement, { what: `The \`finally\` block uses \`${clash.name}\`, which the \`try\` or \`catch\` block assigns`, how: 'Give the `finally` block variables of its own' })
      return undefined
    }
    // After a failure, a variable the try block assigns holds whatever it held at that point in
    // sequential code: read after the statement, the catch block must give it a value (or throw).
    const rethrows = handler === undefined || (handler.statements.length > 0 && isThrowStatement(handler.statements[handler.statements.length - 1]!))
    if (!rethrows) {
      const usedAfter = tried.assigned.find((binding) => !assignedFirst(handler!, binding) && usedOutside(binding, statement))
      if (usedAfter) {
        report('PL201', statement, { what: `\`${usedAfter.name}\` is assigned in the \`try\` block and used after it, but the \`catch\` block does not assign it`, how: `Assign \`${usedAfter.name}\` a fallback value at the start of the \`catch\` block, or rethrow` })
        return undefined
      }
    }
    const main = [...tried.assigned, ...caught.assigned].filter((binding, index, all) => all.indexOf(binding) === index)
    return { kind: 'try-attempt', main, last: last.assigned }
  }

  /** Whether a statement of `block` itself (not nested) assigns `binding` before anything in the block reads it. */
  const assignedFirst = (region: ts.Block, binding: Binding): boolean => {
    for (const statement of region.statements) {
      const expression = isExpressionStatement(statement) ? skipOuter(statement.expression) : undefined
      const assigns = expression !== undefined && isBinaryExpression(expression) && expression.operatorToken.kind === SyntaxKind.EqualsToken && isIdentifier(skipOuter(expression.left)) && scope.refs.get(skipOuter(expression.left) as ts.Identifier) === binding
      if (assigns && !outerUse((expression as ts.BinaryExpression).right).read.includes(binding)) return true
      if (outerUse(statement).read.includes(binding)) return false
    }
    return false
  }

  /** Whether `binding` is referred to outside `region` (besides its declaration). */
  const usedOutside = (binding: Binding, region: ts.Node): boolean => {
    for (const [identifier, target] of scope.refs) if (target === binding && identifier !== binding.decl && !within(identifier, region)) return true
    return false
  }

  /** Without reporting: would classifying `branch` as a deferred region need a continuation? */
  const branchNeedsContinuation = (branch: ts.Statement): boolean => {
    let needs = false
    const visit = (node: ts.Node): void => {
      if (needs || isFunctionLike(node)) return
      if (isForOfStatement(node) && facts.isPending(node.expression)) {
        const use = outerUse(node.statement)
        if (hasExit(node.statement) || use.assigned.length > 0 || use.mutated.length > 0) needs = true
      }
      forEachChild(node, visit)
    }
    visit(branch)
    return needs
  }

  const containsPending = (node: ts.Node): boolean => {
    let found = false
    const visit = (child: ts.Node): void => {
      if (found) return
      if (isExpression(child) && !isFunctionLike(child) && facts.isPending(child)) found = true
      else forEachChild(child, visit)
    }
    visit(node)
    return found
  }

  /** Expression-level checks of one statement (not of statements nested in it). */
  const expressions = (statement: ts.Statement, context: Context): void => {
    const visit = (node: ts.Node, fnDepth: number): void => {
      if (isStatement(node) && node !== statement && !isBlock(node) && fnDepth === 0) return
      if (isBlock(node) && node !== statement && fnDepth === 0) return
      check(node, context, fnDepth)
      if (isFunctionLike(node)) {
        // Compiled callbacks have their own statements: classify them.
        if (compiledCallback(node)) {
          const body = node.body
          const receiver = callbackReceiver(node)
          const deferredCallback = receiver !== undefined && facts.isPending(receiver)
          closures = true
          if (body && isBlock(body)) {
            if (deferredCallback) {
              const use = outerUse(body)
              const culprit = use.assigned[0] ?? use.mutated[0]
              if (culprit) report('PL110', node, { what: 'This callback over a pending array', name: culprit.name })
            }
            list(body.statements, { canContinue: true, inLoop: false, deferred: deferredCallback ? node : undefined })
          } else if (body) forEachChild(body, (child) => visit(child, fnDepth))
          return
        }
        forEachChild(node, (child) => visit(child, fnDepth + 1))
        return
      }
      forEachChild(node, (child) => visit(child, fnDepth))
    }
    if (isBlock(statement)) return
    forEachChild(statement, (child) => visit(child, 0))
  }

  /** A function passed directly to `.map()`/`.forEach()` that calls modules: compiled in place. */
  const compiledCallback = (fn: ts.Node): fn is ts.ArrowFunction | ts.FunctionExpression => {
    if (!isArrowFunction(fn) && !isFunctionExpression(fn)) return false
    const call = fn.parent
    if (!isCallExpression(call) || call.arguments[0] !== fn || !isPropertyAccessExpression(call.expression)) return false
    const method = call.expression.name.text
    return (method === 'map' || method === 'forEach') && facts.containsModuleCall(fn)
  }
  const callbackReceiver = (fn: ts.Node): ts.Expression | undefined => {
    const call = fn.parent
    return isCallExpression(call) && isPropertyAccessExpression(call.expression) ? call.expression.expression : undefined
  }

  const thisWrites = new Map<string, ts.Node>()
  const thisReads: Array<[string, ts.Node]> = []

  const check = (node: ts.Node, context: Context, fnDepth: number): void => {
    void context
    if (isAwaitExpression(node) && fnDepth === 0) {
      if (!facts.isPending(node.expression)) keptAwaits.push(node)
    }
    if (isAwaitExpression(node) && fnDepth > 0) {
      const fn = findAncestor(node, isFunctionLike)
      if (fn && fn !== forward && compiledCallback(fn)) report('PL203', node, { what: '`await` inside a callback that calls modules', how: 'Drop the `await` (module calls need none in compiled code), or use `await pmap(items, async (item) => ...)` from plait' })
    }
    if (isYieldExpression(node)) report('PL107', node, { what: '`yield`', how: 'return an array instead' })
    if (isIdentifier(node) && node.text === 'arguments' && !scope.refs.has(node) && fnDepth === 0) {
      report('PL203', node, { what: '`arguments`', how: 'Name the parameters (`forward(...inputs)`)' })
    }
    if (isCallExpression(node)) {
      const callee = skipOuter(node.expression)
      if (isIdentifier(callee) && callee.text === 'eval' && !scope.refs.has(callee)) report('PL107', node, { what: '`eval`', how: 'call the code directly' })
      if (facts.isDynamicThisCallee(node)) report('PL106', node, { what: '`this[...]`' })
      if (isPropertyAccessExpression(callee)) {
        const method = callee.name.text
        const helper = syncCallbackHelpers[method]
        const callback = node.arguments.find((argument) => isFunctionLike(skipOuter(argument)))
        if (helper && callback && facts.containsModuleCall(callback)) {
          report('PL101', node, { method, helper: method === 'flatMap' ? 'pmap' : method.startsWith('reduce') ? 'pmap' : helper })
        }
        if (mutatingMethods.has(method)) {
          let root: ts.Expression = skipOuter(callee.expression)
          while (isPropertyAccessExpression(root) || isElementAccessExpression(root)) root = skipOuter(root.expression)
          const receiver = skipOuter(callee.expression)
          // Sorting in place compares the items: an array that holds pending values cannot be.
          const sortsPending = method === 'sort' && facts.isPending(receiver)
          if (sortsPending || (isIdentifier(root) && (facts.mayBeFuture(receiver) || (receiver !== root && facts.isPending(receiver))))) {
            report('PL108', node, { what: `\`.${method}()\``, how: method === 'sort' || method === 'reverse' ? `\`const sorted = items.to${method === 'sort' ? 'Sorted' : 'Reversed'}()\`` : '`const more = items.concat([item])`' })
          }
        }
      }
      const moduleCall = facts.moduleCall(node)
      if (moduleCall) {
        for (const argument of node.arguments) {
          if (isSpreadElement(argument) && facts.isPending(argument.expression)) report('PL111', argument, { what: 'Spreading a pending value into the arguments of a module call', how: 'Pass the value itself, or give the module a `combine` option' })
        }
      }
    }
    if (isNewExpression(node)) {
      const exported = plaitName(skipOuter(node.expression), facts.imports)
      if (exported !== undefined && moduleExports.has(exported)) report('PL102', node, { action: 'creates' })
    }
    if (isFunctionLike(node) && node !== forward && facts.containsModuleCall(node)) {
      const parent = node.parent
      const allowed = compiledCallback(node) || (isCallExpression(parent) && facts.plaitHelper(parent) !== undefined)
      const syncMethod = isCallExpression(parent) && isPropertyAccessExpression(parent.expression) && syncCallbackHelpers[parent.expression.name.text] !== undefined
      if (!allowed && !syncMethod) {
        const how = isVariableDeclaration(parent) ? 'stored in a variable' : isCallExpression(parent) ? 'passed to a function' : isReturnStatement(parent) ? 'returned' : 'defined here'
        report('PL105', node, { how })
      }
    }
    // A callback that changes forward()'s variables, passed where it runs later.
    if (isFunctionLike(node) && node !== forward && !compiledCallback(node) && isCallExpression(node.parent) && facts.isPending(node.parent)) {
      const use = outerUse(node)
      const culprit = use.assigned[0] ?? use.mutated[0]
      if (culprit) report('PL110', node, { what: 'This callback', name: culprit.name })
    }
    // Module references used as values.
    if (isPropertyAccessExpression(node) && node.expression.kind === SyntaxKind.ThisKeyword && fnDepth >= 0) {
      const name = node.name.text
      const field = facts.candidate.fields.get(name)
      const parent = node.parent
      const isWrite = isBinaryExpression(parent) && parent.left === node && parent.operatorToken.kind >= SyntaxKind.FirstAssignment && parent.operatorToken.kind <= SyntaxKind.LastAssignment
      const isUpdate = (isPrefixUnaryExpression(parent) || isPostfixUnaryExpression(parent)) && (parent.operator === SyntaxKind.PlusPlusToken || parent.operator === SyntaxKind.MinusMinusToken)
      if (isWrite || isUpdate) {
        if (field?.kind === 'module' || (isWrite && isBinaryExpression(parent) && isNewExpression(skipOuter(parent.right)) && moduleExports.has(plaitName(skipOuter((skipOuter(parent.right) as ts.NewExpression).expression), facts.imports) ?? ''))) {
          report('PL102', parent, { action: 'reassigns' })
        }
        if (!thisWrites.has(name)) thisWrites.set(name, node)
        if (isUpdate || (isWrite && isBinaryExpression(parent) && parent.operatorToken.kind !== SyntaxKind.EqualsToken)) thisReads.push([name, node])
      } else {
        thisReads.push([name, node])
        const used = isCallExpression(parent) && parent.expression === node
        const chained = isPropertyAccessExpression(parent) || isElementAccessExpression(parent)
        const aliased = isVariableDeclaration(parent) && parent.initializer === node
        if (field?.kind === 'module' && !used && !chained && !aliased) report('PL106', node, { what: `\`this.${name}\` is passed around as a value` })
      }
    }
    // Assignments inside larger expressions.
    if (isBinaryExpression(node) && node.operatorToken.kind >= SyntaxKind.FirstAssignment && node.operatorToken.kind <= SyntaxKind.LastAssignment && fnDepth === 0) {
      const parent = node.parent
      const statementLevel = isExpressionStatement(parent) || (isForStatement(parent) && (parent.initializer === node || parent.incrementor === node))
      if (!statementLevel && (facts.isPending(node.right) || facts.isPending(node.left))) report('PL111', node, { what: 'An assignment inside a larger expression', how: 'Assign in a statement of its own, then use the variable' })
      if (statementLevel && (isObjectLiteralExpression(skipOuter(node.left)) || isArrayLiteralExpression(skipOuter(node.left))) && facts.isPending(node.right)) {
        report('PL111', node, { what: 'A destructuring assignment of a pending value', how: 'Declare new variables: `const { a, b } = value`' })
      }
      const target = skipOuter(node.left)
      if ((isPropertyAccessExpression(target) || isElementAccessExpression(target)) && target.expression.kind !== SyntaxKind.ThisKeyword) {
        let root: ts.Expression = skipOuter(target.expression)
        while (isPropertyAccessExpression(root) || isElementAccessExpression(root)) root = skipOuter(root.expression)
        const holder = skipOuter(target.expression)
        if (facts.mayBeFuture(holder) || (holder !== root && facts.isPending(holder))) report('PL108', node, { what: 'Assigning a property', how: '`const updated = { ...value, field: newValue }`' })
      }
    }
    if ((isPrefixUnaryExpression(node) || isPostfixUnaryExpression(node)) && (node.operator === SyntaxKind.PlusPlusToken || node.operator === SyntaxKind.MinusMinusToken) && fnDepth === 0) {
      const parent = node.parent
      const statementLevel = isExpressionStatement(parent) || (isForStatement(parent) && parent.incrementor === node)
      if (!statementLevel && facts.isPending(node.operand)) report('PL111', node, { what: 'An increment inside a larger expression', how: 'Increment in a statement of its own' })
    }
    if (isDeleteExpression(node) && facts.isPending(node.expression)) report('PL108', node, { what: '`delete`', how: 'select the fields you keep into a new object' })
    // Destructuring defaults and computed keys of pending values.
    if (isVariableDeclaration(node) && !isIdentifier(node.name) && node.initializer && facts.isPending(node.initializer)) {
      const bad = (name: ts.BindingName): ts.Node | undefined => {
        if (isIdentifier(name)) return undefined
        for (const element of name.elements) {
          if (!isBindingElement(element)) continue
          if (element.initializer && (facts.isPending(element.initializer) || facts.containsModuleCall(element.initializer))) return element
          if (element.propertyName && isComputedPropertyName(element.propertyName)) return element
          const inner = bad(element.name)
          if (inner) return inner
        }
        return undefined
      }
      const found = bad(node.name)
      if (found) report('PL111', found, { what: 'A default value or computed key in a pattern over a pending value', how: 'Select the field first (`const value = reply.field`), then apply the default with `??`' })
    }
  }

  if (forward.asteriskToken) report('PL107', forward, { what: 'A generator forward()', how: 'return an array instead of yielding' })
  if (forward.body) list(forward.body.statements, { canContinue: true, inLoop: false, deferred: undefined })
  for (const [name, node] of thisReads) if (thisWrites.has(name) && thisWrites.get(name) !== node) report('PL104', node, { name })
  if (keptAwaits.length > 0 && closures) {
    report('PL203', keptAwaits[0]!, { what: '`await` on a value that is not an LLM result, together with branches or loops on LLM results,', how: 'Compute the awaited value before calling the pipeline and pass it in' })
  }
  diagnostics.sort((first, second) => (first.location?.line ?? 0) - (second.location?.line ?? 0) || (first.location?.column ?? 0) - (second.location?.column ?? 0))
  return { plans, diagnostics, keptAwaits, fallback, switches, tryReturns }
}
