/**
 * Pass 4, pendingness: which bindings may hold a value that is not resolved yet (a future, or an
 * array or object holding one). forward()'s parameters count as pending (a parent may pass
 * futures); so do results of module calls, and anything computed from a pending value. The
 * analysis over-approximates: the runtime takes a fast path on plain values, so treating a plain
 * value as pending costs a little time and never changes a result.
 */
import type ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  SyntaxKind, forEachChild, isArrayBindingPattern, isArrayLiteralExpression, isAwaitExpression,
  isBinaryExpression, isBindingElement, isCallExpression, isClassExpression,
  isComputedPropertyName, isConditionalExpression, isElementAccessExpression, isExpression,
  isForOfStatement, isFunctionDeclaration, isFunctionExpression, isIdentifier, isIfStatement,
  isNewExpression, isNumericLiteral, isObjectBindingPattern, isObjectLiteralExpression,
  isParenthesizedExpression, isPostfixUnaryExpression, isPrefixUnaryExpression,
  isPropertyAccessExpression, isPropertyAssignment, isShorthandPropertyAssignment,
  isSpreadAssignment, isSpreadElement, isStringLiteralLike, isTemplateExpression, isTemplateSpan,
  isTryStatement, isVariableDeclaration, isVariableDeclarationList, isWhileStatement,
} from 'typescript'
import { helperExports, plaitName, type Candidate, type PlaitImports } from './candidates.js'
import { isFunctionLike, mutatingMethods, type Binding, type Scope } from './scope.js'

/** A call of a child module, as the syntax shows it. */
export interface ModuleCall {
  /** The expression that gives the module (`this.extractor`, `this.experts[i]`, `summarize`). */
  target: ts.Expression
  /** Dotted module path (`extractor`, `heads.title`, `experts.0`); `experts` for a dynamic index. */
  path: string
  /** The `.forward` to remove, when written as `this.child.forward(x)`. */
  forward?: ts.PropertyAccessExpression
}

/**
 * Strips parentheses and type-only wrappers (`as`, `!`, `satisfies`, `<T>x`).
 *
 * @example
 * ```ts
 * skipOuter(expressionOf('(reply as Card)!')) // the `reply` identifier
 * ```
 */
export function skipOuter(expression: ts.Expression): ts.Expression {
  let current = expression
  while (current.kind === SyntaxKind.ParenthesizedExpression || typeKinds.has(current.kind)) current = (current as ts.ParenthesizedExpression).expression
  return current
}

/** `as`, `!`, `satisfies`, `<T>x`: one look-up of `kind` instead of an `isX(node)` call each, on a path every pass takes. */
const typeKinds = new Set([SyntaxKind.AsExpression, SyntaxKind.NonNullExpression, SyntaxKind.SatisfiesExpression, SyntaxKind.TypeAssertionExpression])

/**
 * Strips type-only wrappers but keeps parentheses.
 *
 * @example
 * ```ts
 * skipTypes(expressionOf('(a) as string')) // the `(a)` parenthesized expression
 * ```
 */
export function skipTypes(expression: ts.Expression): ts.Expression {
  let current = expression
  while (typeKinds.has(current.kind)) current = (current as ts.AsExpression).expression
  return current
}

/**
 * The facts the later passes ask about a forward(): module calls, helpers, pendingness.
 *
 * @example
 * ```ts
 * const facts = computePending(candidate, imports, analyzeScope(candidate.forward))
 * facts.moduleCall(call)?.path // 'extractor'
 * facts.isPending(expression) // true for `this.extractor(doc).length`
 * ```
 */
export class Facts {
  /**
   * Answers already given, by node. Every level of an expression asks about the levels under it
   * (classify and lower ask at each level again), so without them the work grows with the square
   * of the nesting depth. They depend on the bindings' flags, so `forget()` clears them whenever
   * the pendingness pass changes one.
   */
  private readonly pendingAnswers = new Map<ts.Node, boolean>()
  private readonly futureAnswers = new Map<ts.Node, boolean>()
  private readonly moduleCallAnswers = new Map<ts.CallExpression, ModuleCall | undefined>()
  private readonly containsModuleCallAnswers = new Map<ts.Node, boolean>()

  constructor(
    readonly candidate: Candidate,
    readonly imports: PlaitImports,
    readonly scope: Scope,
  ) {}

  /** Drops the answers given so far: a binding's flags changed. */
  forget(): void {
    this.pendingAnswers.clear()
    this.futureAnswers.clear()
    this.moduleCallAnswers.clear()
    this.containsModuleCallAnswers.clear()
  }

  binding(id: ts.Identifier): Binding | undefined {
    return this.scope.refs.get(id)
  }

  /** The field of `this.name` when `expression` is `this.name`. */
  thisField(expression: ts.Expression): string | undefined {
    const inner = skipOuter(expression)
    return isPropertyAccessExpression(inner) && inner.expression.kind === SyntaxKind.ThisKeyword ? inner.name.text : undefined
  }

  /** Whether the field `name` of `this` may be a module (a module, or not known). */
  isModuleField(name: string): boolean {
    const field = this.candidate.fields.get(name)
    return field === undefined || field.kind === 'module' || field.kind === 'unknown'
  }

  /** `this[expr](...)`: a callee the compiler cannot name. */
  isDynamicThisCallee(call: ts.CallExpression): boolean {
    const callee = skipOuter(call.expression)
    return isElementAccessExpression(callee) && callee.expression.kind === SyntaxKind.ThisKeyword
  }

  /** The module a call calls, if it calls one. */
  moduleCall(call: ts.CallExpression): ModuleCall | undefined {
    if (this.moduleCallAnswers.has(call)) return this.moduleCallAnswers.get(call)
    const answer = this.findModuleCall(call)
    this.moduleCallAnswers.set(call, answer)
    return answer
  }

  private findModuleCall(call: ts.CallExpression): ModuleCall | undefined {
    let callee = skipOuter(call.expression)
    let forward: ts.PropertyAccessExpression | undefined
    if (isPropertyAccessExpression(callee) && callee.name.text === 'forward' && !callee.questionDotToken) {
      forward = callee
      callee = skipOuter(callee.expression)
    }
    if (isIdentifier(callee)) {
      const binding = this.binding(callee)
      if (binding?.module !== undefined) return forward ? { target: callee, path: binding.module, forward } : { target: callee, path: binding.module }
      return undefined
    }
    // A chain rooted at `this`: this.a, this.a.b, this.a[0], this.a[i].
    const segments: string[] = []
    let current: ts.Expression = callee
    while (isPropertyAccessExpression(current) || isElementAccessExpression(current)) {
      if (isPropertyAccessExpression(current)) segments.unshift(current.name.text)
      else {
        const argument = skipOuter(current.argumentExpression)
        segments.unshift(isStringLiteralLike(argument) || isNumericLiteral(argument) ? argument.text : '*')
      }
      current = skipOuter(current.expression)
    }
    if (current.kind !== SyntaxKind.ThisKeyword || segments.length === 0) return undefined
    const first = segments[0]!
    if (first === '*') return undefined
    const field = this.candidate.fields.get(first)
    if (segments.length === 1) {
      if (field && (field.kind === 'method' || field.kind === 'function' || field.kind === 'data' || field.kind === 'parameter')) return undefined
    } else if (field && field.kind !== 'module' && field.kind !== 'unknown') return undefined
    const dynamic = segments.indexOf('*')
    const path = (dynamic === -1 ? segments : segments.slice(0, dynamic)).join('.')
    return forward ? { target: callee, path, forward } : { target: callee, path }
  }

  /** `this.helper(...)`: a method or function field of the class. */
  helperMethod(call: ts.CallExpression): { name: string; callsModules: boolean } | undefined {
    const name = this.thisField(call.expression)
    if (name === undefined) return undefined
    const field = this.candidate.fields.get(name)
    return field && (field.kind === 'method' || field.kind === 'function') ? { name, callsModules: field.callsModules === true } : undefined
  }

  /** The name of the async-aware plait helper a call calls (`pfilter`), if any. */
  plaitHelper(call: ts.CallExpression): string | undefined {
    const name = plaitName(skipOuter(call.expression), this.imports)
    return name !== undefined && helperExports.has(name) ? name : undefined
  }

  /** Whether `node` contains a module call, not counting functions nested in it unless `deep`. */
  containsModuleCall(node: ts.Node, deep = true): boolean {
    if (!deep) return this.searchModuleCall(node, false)
    let answer = this.containsModuleCallAnswers.get(node)
    if (answer === undefined) {
      answer = this.searchModuleCall(node, true)
      this.containsModuleCallAnswers.set(node, answer)
    }
    return answer
  }

  private searchModuleCall(node: ts.Node, deep: boolean): boolean {
    let found = false
    const visit = (child: ts.Node): void => {
      if (found) return
      if (isCallExpression(child) && (this.moduleCall(child) || this.helperMethod(child)?.callsModules || this.isDynamicThisCallee(child))) {
        found = true
        return
      }
      if (isFunctionLike(child) && !deep) return
      // `this` inside a `function` is not the module.
      if (isFunctionExpression(child) || isFunctionDeclaration(child)) return
      forEachChild(child, visit)
    }
    visit(node)
    return found
  }

  /** Whether an expression may be, or may hold, a pending value. */
  isPending(node: ts.Expression): boolean {
    let answer = this.pendingAnswers.get(node)
    if (answer === undefined) {
      answer = this.decidePending(node)
      this.pendingAnswers.set(node, answer)
    }
    return answer
  }

  private decidePending(node: ts.Expression): boolean {
    const expression = skipOuter(node)
    if (isIdentifier(expression)) return this.binding(expression)?.pending === true
    if (isAwaitExpression(expression)) return this.isPending(expression.expression)
    if (isFunctionLike(expression) || isClassExpression(expression)) return false
    if (isCallExpression(expression)) {
      if (this.moduleCall(expression) || this.isDynamicThisCallee(expression)) return true
      if (this.helperMethod(expression)?.callsModules) return true
      if (skipOuter(expression.expression).kind === SyntaxKind.SuperKeyword || (isPropertyAccessExpression(expression.expression) && expression.expression.expression.kind === SyntaxKind.SuperKeyword)) return true
      if (expression.arguments.some((argument) => (isFunctionLike(skipOuter(argument)) ? this.containsModuleCall(argument) : this.isPending(argument)))) return true
      const callee = skipOuter(expression.expression)
      if (isPropertyAccessExpression(callee) || isElementAccessExpression(callee)) return this.isPending(callee.expression)
      return false
    }
    if (isNewExpression(expression)) return (expression.arguments ?? []).some((argument) => this.isPending(argument))
    // A getter of the class that calls modules.
    if (isPropertyAccessExpression(expression) && expression.expression.kind === SyntaxKind.ThisKeyword) return this.candidate.fields.get(expression.name.text)?.callsModules === true
    let found = false
    forEachChild(expression, (child) => {
      if (!found && isExpression(child) && this.isPending(child)) found = true
      else if (!found && (isTemplateSpan(child) || isSpreadElement(child) || isSpreadAssignment(child) || isPropertyAssignment(child) || isShorthandPropertyAssignment(child) || isComputedPropertyName(child))) {
        forEachChild(child, (inner) => {
          if (!found && isExpression(inner) && this.isPending(inner)) found = true
        })
      }
    })
    return found
  }

  /** Whether an expression may itself be a future (not only hold one, as `[a, b]` does). */
  mayBeFuture(node: ts.Expression): boolean {
    let answer = this.futureAnswers.get(node)
    if (answer === undefined) {
      answer = this.decideFuture(node)
      this.futureAnswers.set(node, answer)
    }
    return answer
  }

  private decideFuture(node: ts.Expression): boolean {
    const expression = skipOuter(node)
    if (isIdentifier(expression)) return this.binding(expression)?.future === true
    if (isArrayLiteralExpression(expression) || isObjectLiteralExpression(expression)) return false
    if (isConditionalExpression(expression)) return this.isPending(expression.condition) || this.mayBeFuture(expression.whenTrue) || this.mayBeFuture(expression.whenFalse)
    return this.isPending(expression)
  }

  /** Whether the value of an expression is known to be text. */
  isStringish(node: ts.Expression): boolean {
    const expression = skipOuter(node)
    if (isStringLiteralLike(expression) || isTemplateExpression(expression)) return true
    if (isIdentifier(expression)) return this.binding(expression)?.stringish === true
    if (isCallExpression(expression) && isIdentifier(expression.expression) && expression.expression.text === 'String' && !this.binding(expression.expression)) return true
    if (isBinaryExpression(expression) && expression.operatorToken.kind === SyntaxKind.PlusToken) return this.isStringish(expression.left) || this.isStringish(expression.right)
    return false
  }
}

/**
 * Marks the pending bindings of a forward(), to a fixed point, and records module aliases.
 *
 * @example
 * ```ts
 * const facts = computePending(candidate, imports, analyzeScope(candidate.forward))
 * facts.isPending(someExpression)
 * ```
 */
export function computePending(candidate: Candidate, imports: PlaitImports, scope: Scope): Facts {
  const facts = new Facts(candidate, imports, scope)
  const forward = candidate.forward
  for (const binding of scope.bindings) if (binding.kind === 'param' && binding.fn === forward) binding.pending = binding.future = true

  // Module aliases: `const summarize = this.summarizer`.
  const aliases = (node: ts.Node): void => {
    if (isVariableDeclaration(node) && isIdentifier(node.name) && node.initializer) {
      const field = facts.thisField(node.initializer)
      const binding = scope.refs.get(node.name)
      if (field !== undefined && binding && facts.isModuleField(field) && candidate.fields.get(field)?.kind !== undefined) binding.module = field
    }
    forEachChild(node, aliases)
  }
  if (forward.body) aliases(forward.body)
  facts.forget()

  // Flows: binding <- expression (or <- 'pending').
  type Flow = { target: Binding; from: ts.Expression | 'pending'; holder?: boolean }
  const flows: Flow[] = []
  const bindPattern = (name: ts.BindingName | ts.Expression, from: ts.Expression | 'pending', holder = false): void => {
    if (isIdentifier(name)) {
      const binding = scope.refs.get(name)
      if (binding) flows.push(holder ? { target: binding, from, holder } : { target: binding, from })
      return
    }
    if (isObjectBindingPattern(name) || isArrayBindingPattern(name)) {
      for (const element of name.elements) if (isBindingElement(element)) bindPattern(element.name, from, holder)
      return
    }
    if (isArrayLiteralExpression(name)) name.elements.forEach((element) => bindPattern(isSpreadElement(element) ? element.expression : element, from))
    else if (isObjectLiteralExpression(name)) {
      for (const property of name.properties) {
        if (isShorthandPropertyAssignment(property)) bindPattern(property.name, from)
        else if (isPropertyAssignment(property)) bindPattern(property.initializer, from)
      }
    } else if (isPropertyAccessExpression(name) || isElementAccessExpression(name)) {
      let root: ts.Expression = name
      while (isPropertyAccessExpression(root) || isElementAccessExpression(root)) root = skipOuter(root.expression)
      if (isIdentifier(root)) bindPattern(root, from, true)
    } else if (isParenthesizedExpression(name)) bindPattern(name.expression, from)
  }
  const pendingTestDepth: boolean[] = []
  const collect = (node: ts.Node): void => {
    if (isVariableDeclaration(node) && node.initializer) bindPattern(node.name, node.initializer)
    else if (isBinaryExpression(node) && node.operatorToken.kind >= SyntaxKind.FirstAssignment && node.operatorToken.kind <= SyntaxKind.LastAssignment) {
      bindPattern(node.left, node.right)
      if (pendingTestDepth.length > 0) bindPattern(node.left, 'pending')
    } else if ((isPrefixUnaryExpression(node) || isPostfixUnaryExpression(node)) && pendingTestDepth.length > 0) bindPattern(node.operand, 'pending')
    else if (isCallExpression(node) && isPropertyAccessExpression(node.expression) && mutatingMethods.has(node.expression.name.text)) {
      let root: ts.Expression = node.expression.expression
      while (isPropertyAccessExpression(root) || isElementAccessExpression(root)) root = skipOuter(root.expression)
      for (const argument of node.arguments) bindPattern(root, argument, true)
    }
    if (isForOfStatement(node) && isVariableDeclarationList(node.initializer)) {
      for (const declaration of node.initializer.declarations) bindPattern(declaration.name, node.expression)
    }
    if (isCallExpression(node)) {
      // Callback parameters: items of a pending receiver are pending; so are those of callbacks that call modules.
      const callee = skipOuter(node.expression)
      const receiver = isPropertyAccessExpression(callee) ? callee.expression : undefined
      for (const argument of node.arguments) {
        const fn = skipOuter(argument)
        if (!isFunctionLike(fn)) continue
        for (const parameter of fn.parameters) {
          if (receiver) bindPattern(parameter.name, receiver)
          if (facts.containsModuleCall(fn)) bindPattern(parameter.name, 'pending')
        }
      }
    }
    if (isIfStatement(node)) {
      forEachChild(node.expression, collect)
      const pendingTest = facts.isPending(node.expression)
      if (pendingTest) pendingTestDepth.push(true)
      collect(node.thenStatement)
      if (node.elseStatement) collect(node.elseStatement)
      if (pendingTest) pendingTestDepth.pop()
      return
    }
    if ((isTryStatement(node) && facts.containsModuleCall(node)) || (isWhileStatement(node) && facts.isPending(node.expression))) {
      // After a `try` around module calls, or a `while` on a pending test, what the statement
      // assigns is a selection of its outcome.
      pendingTestDepth.push(true)
      forEachChild(node, collect)
      pendingTestDepth.pop()
      return
    }
    forEachChild(node, collect)
  }
  // Conditions depend on pendingness itself: iterate collection and propagation together.
  for (let round = 0; round < 20; round++) {
    flows.length = 0
    if (forward.body) collect(forward.body)
    let changed = false
    for (let pass = 0; pass < 50; pass++) {
      let passChanged = false
      for (const flow of flows) {
        const { target, from } = flow
        if (!target.pending && (from === 'pending' || facts.isPending(from))) {
          target.pending = true
          passChanged = true
          facts.forget()
        }
        if (!flow.holder && !target.future && (from === 'pending' || facts.mayBeFuture(from))) {
          target.future = true
          passChanged = true
          facts.forget()
        }
      }
      if (!passChanged) break
      changed = true
    }
    if (!changed) break
  }
  // A binding that holds a pending value is no longer known to be text.
  return facts
}
