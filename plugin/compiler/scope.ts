/**
 * Pass 3, scope: the bindings of a `forward()` (its parameters and everything declared inside it,
 * nested callbacks included) and, for every identifier that reads or writes one, which binding
 * it is. Also what each binding goes through: reassigned after its declaration, changed in place
 * (property assignment, `push`...), or known to hold a string.
 */
import type ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  NodeFlags, SyntaxKind, forEachChild, isArrayLiteralExpression, isAsExpression,
  isBinaryExpression, isBindingElement, isBlock, isBreakOrContinueStatement, isCallExpression,
  isCaseBlock, isCatchClause, isClassDeclaration, isClassExpression, isClassLike,
  isComputedPropertyName, isDeleteExpression, isElementAccessExpression, isEnumMember,
  isExpressionWithTypeArguments, isForInStatement, isForOfStatement, isForStatement,
  isFunctionDeclaration, isFunctionExpression, isGetAccessorDeclaration, isIdentifier,
  isInterfaceDeclaration, isLabeledStatement, isMetaProperty, isMethodDeclaration, isModuleBlock,
  isNonNullExpression, isObjectLiteralExpression, isParameter, isParenthesizedExpression,
  isPostfixUnaryExpression, isPrefixUnaryExpression, isPropertyAccessExpression,
  isPropertyAssignment, isPropertyDeclaration, isPropertySignature, isQualifiedName,
  isSetAccessorDeclaration, isShorthandPropertyAssignment, isSpreadAssignment, isSpreadElement,
  isStringLiteralLike, isTemplateExpression, isTypeAliasDeclaration, isTypeNode,
  isVariableDeclaration, isVariableDeclarationList, isVariableStatement,
} from 'typescript'

/** A local binding of forward() or of a function inside it. */
export interface Binding {
  name: string
  kind: 'param' | 'const' | 'let' | 'var' | 'function' | 'class' | 'catch'
  /** The identifier that declares it. */
  decl: ts.Identifier
  /** The function whose scope holds it. */
  fn: ts.SignatureDeclaration
  /** Assigned after its declaration (`x = ...`, `x += ...`, `x++`). */
  reassigned: boolean
  /** Changed in place: `x.p = ...`, `x[i] = ...`, `x.push(...)`, `delete x.p`. */
  mutated: boolean
  /** Declared with a `string` type or initialized with text. */
  stringish: boolean
  /** Set by the pendingness pass: may be, or may hold, a pending value. */
  pending: boolean
  /** Set by the pendingness pass: may itself be a future (not only hold one). */
  future: boolean
  /** A local alias of a child module (`const summarize = this.summarizer`): its dotted path. */
  module?: string
}

/** Result of the pass. */
export interface Scope {
  forward: ts.MethodDeclaration
  bindings: Binding[]
  /** Every identifier that refers to a local binding (declarations included). */
  refs: Map<ts.Identifier, Binding>
}

/** Methods that change their receiver in place. */
export const mutatingMethods = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin', 'set', 'add', 'delete', 'clear'])

/**
 * Whether `node` is a function (a new scope for `var` and parameters).
 *
 * @example
 * ```ts
 * isFunctionLike(callback) // true for `(x) => x`, `function () {}`, methods
 * ```
 */
export function isFunctionLike(node: ts.Node): node is ts.SignatureDeclaration & { body?: ts.ConciseBody } {
  return functionKinds.has(node.kind)
}

// One look-up of `kind` instead of seven `isX(node)` calls: this runs for every node of every pass.
const functionKinds = new Set([SyntaxKind.FunctionDeclaration, SyntaxKind.FunctionExpression, SyntaxKind.ArrowFunction, SyntaxKind.MethodDeclaration, SyntaxKind.Constructor, SyntaxKind.GetAccessor, SyntaxKind.SetAccessor])

/** Whether an identifier is in a position where it names a variable (not a property or label). */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent
  if (isPropertyAccessExpression(parent) && parent.name === id) return false
  if (isQualifiedName(parent)) return false
  if ((isPropertyAssignment(parent) || isPropertyDeclaration(parent) || isMethodDeclaration(parent) || isGetAccessorDeclaration(parent) || isSetAccessorDeclaration(parent) || isEnumMember(parent) || isPropertySignature(parent)) && parent.name === id) return false
  if (isBindingElement(parent) && parent.propertyName === id) return false
  if (isLabeledStatement(parent) || isBreakOrContinueStatement(parent)) return false
  if (isMetaProperty(parent)) return false
  return true
}

function isStringType(type: ts.TypeNode | undefined): boolean {
  return type !== undefined && type.kind === SyntaxKind.StringKeyword
}

function isTextInit(init: ts.Expression | undefined): boolean {
  if (!init) return false
  let expression = init
  while (isParenthesizedExpression(expression) || isAsExpression(expression)) expression = expression.expression
  return isStringLiteralLike(expression) || isTemplateExpression(expression)
}

/**
 * Resolves the bindings of `forward`.
 *
 * @example
 * ```ts
 * const scope = analyzeScope(candidate.forward)
 * scope.bindings.map((binding) => binding.name) // ['doc1', 'doc2', 'facts1', 'facts2']
 * ```
 */
export function analyzeScope(forward: ts.MethodDeclaration): Scope {
  const bindings: Binding[] = []
  const refs = new Map<ts.Identifier, Binding>()
  type Frame = Map<string, Binding>
  const chain: Frame[] = []

  const stringAnnotated = new Set<Binding>()
  const declare = (frame: Frame, id: ts.Identifier, kind: Binding['kind'], fn: ts.SignatureDeclaration, stringish = false): void => {
    const binding: Binding = { name: id.text, kind, decl: id, fn, reassigned: false, mutated: false, stringish, pending: false, future: false }
    const declaration = id.parent
    if ((isVariableDeclaration(declaration) || isParameter(declaration)) && isStringType(declaration.type)) stringAnnotated.add(binding)
    frame.set(id.text, binding)
    bindings.push(binding)
    refs.set(id, binding)
  }
  const declarePattern = (frame: Frame, name: ts.BindingName, kind: Binding['kind'], fn: ts.SignatureDeclaration, stringish = false): void => {
    if (isIdentifier(name)) declare(frame, name, kind, fn, stringish)
    else for (const element of name.elements) if (isBindingElement(element)) declarePattern(frame, element.name, kind, fn)
  }
  const lookup = (name: string): Binding | undefined => {
    for (let index = chain.length - 1; index >= 0; index--) {
      const found = chain[index]!.get(name)
      if (found) return found
    }
    return undefined
  }

  /** Declarations hoisted to the top of a function: `var`s anywhere in it (not in nested functions). */
  const hoistVars = (frame: Frame, body: ts.Node, fn: ts.SignatureDeclaration): void => {
    const visit = (node: ts.Node): void => {
      if (isFunctionLike(node) || isClassLike(node)) return
      if (isVariableDeclarationList(node) && !(node.flags & NodeFlags.BlockScoped)) {
        for (const declaration of node.declarations) declarePattern(frame, declaration.name, 'var', fn, isStringType(declaration.type) || isTextInit(declaration.initializer))
      }
      forEachChild(node, visit)
    }
    forEachChild(body, visit)
  }
  /** Block-scoped declarations directly in a list of statements. */
  const hoistBlock = (frame: Frame, statements: readonly ts.Statement[], fn: ts.SignatureDeclaration): void => {
    for (const statement of statements) {
      if (isVariableStatement(statement) && statement.declarationList.flags & NodeFlags.BlockScoped) {
        const kind = statement.declarationList.flags & NodeFlags.Const ? 'const' : 'let'
        for (const declaration of statement.declarationList.declarations) declarePattern(frame, declaration.name, kind, fn, isStringType(declaration.type) || isTextInit(declaration.initializer))
      } else if (isFunctionDeclaration(statement) && statement.name) declare(frame, statement.name, 'function', fn)
      else if (isClassDeclaration(statement) && statement.name) declare(frame, statement.name, 'class', fn)
    }
  }

  let currentFn: ts.SignatureDeclaration = forward
  const visit = (node: ts.Node): void => {
    if (isTypeNode(node) && !isExpressionWithTypeArguments(node)) return
    if (isInterfaceDeclaration(node) || isTypeAliasDeclaration(node)) return
    if (isFunctionLike(node)) {
      const outerFn = currentFn
      currentFn = node
      const frame: Frame = new Map()
      chain.push(frame)
      if ((isFunctionExpression(node) || isClassExpression(node)) && node.name) declare(frame, node.name, 'function', node)
      for (const parameter of node.parameters) declarePattern(frame, parameter.name, 'param', node, isStringType(parameter.type))
      const body = (node as { body?: ts.Node }).body
      if (body) {
        hoistVars(frame, body, node)
        if (isBlock(body)) hoistBlock(frame, body.statements, node)
        // Parameter defaults, then the body.
        for (const parameter of node.parameters) if (parameter.initializer) visit(parameter.initializer)
        for (const parameter of node.parameters) visitPatternDefaults(parameter.name)
        if (isBlock(body)) body.statements.forEach(visit)
        else visit(body)
      }
      chain.pop()
      currentFn = outerFn
      return
    }
    if (isBlock(node) || isModuleBlock(node) || isCaseBlock(node)) {
      const frame: Frame = new Map()
      chain.push(frame)
      if (isCaseBlock(node)) for (const clause of node.clauses) hoistBlock(frame, clause.statements, currentFn)
      else hoistBlock(frame, node.statements, currentFn)
      forEachChild(node, visit)
      chain.pop()
      return
    }
    if (isForStatement(node) || isForOfStatement(node) || isForInStatement(node)) {
      const frame: Frame = new Map()
      chain.push(frame)
      const initializer = node.initializer
      if (initializer && isVariableDeclarationList(initializer) && initializer.flags & NodeFlags.BlockScoped) {
        for (const declaration of initializer.declarations) declarePattern(frame, declaration.name, initializer.flags & NodeFlags.Const ? 'const' : 'let', currentFn)
      }
      forEachChild(node, visit)
      chain.pop()
      return
    }
    if (isCatchClause(node)) {
      const frame: Frame = new Map()
      chain.push(frame)
      if (node.variableDeclaration) declarePattern(frame, node.variableDeclaration.name, 'catch', currentFn)
      forEachChild(node, visit)
      chain.pop()
      return
    }
    if (isClassLike(node)) {
      // A class inside forward(): its members are their own functions.
      forEachChild(node, visit)
      return
    }
    if (isVariableDeclaration(node) || isParameter(node) || isBindingElement(node)) {
      // Declared names are already bound; visit initializers and computed keys.
      if (isBindingElement(node) && node.propertyName && isComputedPropertyName(node.propertyName)) visit(node.propertyName)
      visitPatternDefaults(node.name)
      if (node.initializer) visit(node.initializer)
      return
    }
    if (isIdentifier(node)) {
      if (!isReference(node)) return
      const binding = lookup(node.text)
      if (binding) refs.set(node, binding)
      return
    }
    forEachChild(node, visit)
  }
  const visitPatternDefaults = (name: ts.BindingName): void => {
    if (isIdentifier(name)) return
    for (const element of name.elements) {
      if (!isBindingElement(element)) continue
      if (element.propertyName && isComputedPropertyName(element.propertyName)) visit(element.propertyName)
      if (element.initializer) visit(element.initializer)
      visitPatternDefaults(element.name)
    }
  }
  visit(forward)

  // What happens to each binding.
  const rootBinding = (expression: ts.Expression): Binding | undefined => {
    let root = expression
    while (isPropertyAccessExpression(root) || isElementAccessExpression(root) || isParenthesizedExpression(root) || isNonNullExpression(root)) root = root.expression
    return isIdentifier(root) ? refs.get(root) : undefined
  }
  const markTargets = (target: ts.Expression, value?: ts.Expression, operator?: SyntaxKind): void => {
    if (isIdentifier(target)) {
      const binding = refs.get(target)
      if (binding) {
        binding.reassigned = true
        // Text stays text through `+=` and assignments of text; anything else may change its type
        // (a `string` annotation is the user's promise and is kept).
        const keepsText = operator === SyntaxKind.PlusEqualsToken || (operator === SyntaxKind.EqualsToken && value !== undefined && isTextInit(value))
        if (!keepsText && !stringAnnotated.has(binding)) binding.stringish = false
      }
    } else if (isPropertyAccessExpression(target) || isElementAccessExpression(target)) {
      const binding = rootBinding(target)
      if (binding) binding.mutated = true
    } else if (isArrayLiteralExpression(target)) target.elements.forEach((element) => markTargets(isSpreadElement(element) ? element.expression : element))
    else if (isObjectLiteralExpression(target)) {
      for (const property of target.properties) {
        if (isShorthandPropertyAssignment(property)) markTargets(property.name)
        else if (isPropertyAssignment(property)) markTargets(property.initializer)
        else if (isSpreadAssignment(property)) markTargets(property.expression)
      }
    } else if (isParenthesizedExpression(target)) markTargets(target.expression)
    else if (isBinaryExpression(target) && target.operatorToken.kind === SyntaxKind.EqualsToken) markTargets(target.left)
  }
  const effects = (node: ts.Node): void => {
    if (isBinaryExpression(node) && node.operatorToken.kind >= SyntaxKind.FirstAssignment && node.operatorToken.kind <= SyntaxKind.LastAssignment) markTargets(node.left, node.right, node.operatorToken.kind)
    else if ((isPrefixUnaryExpression(node) || isPostfixUnaryExpression(node)) && (node.operator === SyntaxKind.PlusPlusToken || node.operator === SyntaxKind.MinusMinusToken)) markTargets(node.operand)
    else if (isDeleteExpression(node)) markTargets(node.expression)
    else if (isCallExpression(node) && isPropertyAccessExpression(node.expression) && mutatingMethods.has(node.expression.name.text)) {
      const binding = rootBinding(node.expression.expression)
      if (binding) binding.mutated = true
    }
    forEachChild(node, effects)
  }
  if (forward.body) effects(forward.body)
  return { forward, bindings, refs }
}
