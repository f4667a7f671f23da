/**
 * Pass 3, scope: the bindings of a `forward()` (its parameters and everything declared inside it,
 * nested callbacks included) and, for every identifier that reads or writes one, which binding
 * it is. Also what each binding goes through: reassigned after its declaration, changed in place
 * (property assignment, `push`...), or known to hold a string.
 */
import ts from 'typescript'

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
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)
}

/** Whether an identifier is in a position where it names a variable (not a property or label). */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false
  if (ts.isQualifiedName(parent)) return false
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) || ts.isGetAccessorDeclaration(parent) || ts.isSetAccessorDeclaration(parent) || ts.isEnumMember(parent) || ts.isPropertySignature(parent)) && parent.name === id) return false
  if (ts.isBindingElement(parent) && parent.propertyName === id) return false
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false
  if (ts.isMetaProperty(parent)) return false
  return true
}

function isStringType(type: ts.TypeNode | undefined): boolean {
  return type !== undefined && type.kind === ts.SyntaxKind.StringKeyword
}

function isTextInit(init: ts.Expression | undefined): boolean {
  if (!init) return false
  let expression = init
  while (ts.isParenthesizedExpression(expression) || ts.isAsExpression(expression)) expression = expression.expression
  return ts.isStringLiteralLike(expression) || ts.isTemplateExpression(expression)
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
    if ((ts.isVariableDeclaration(declaration) || ts.isParameter(declaration)) && isStringType(declaration.type)) stringAnnotated.add(binding)
    frame.set(id.text, binding)
    bindings.push(binding)
    refs.set(id, binding)
  }
  const declarePattern = (frame: Frame, name: ts.BindingName, kind: Binding['kind'], fn: ts.SignatureDeclaration, stringish = false): void => {
    if (ts.isIdentifier(name)) declare(frame, name, kind, fn, stringish)
    else for (const element of name.elements) if (ts.isBindingElement(element)) declarePattern(frame, element.name, kind, fn)
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
      if (isFunctionLike(node) || ts.isClassLike(node)) return
      if (ts.isVariableDeclarationList(node) && !(node.flags & ts.NodeFlags.BlockScoped)) {
        for (const declaration of node.declarations) declarePattern(frame, declaration.name, 'var', fn, isStringType(declaration.type) || isTextInit(declaration.initializer))
      }
      ts.forEachChild(node, visit)
    }
    ts.forEachChild(body, visit)
  }
  /** Block-scoped declarations directly in a list of statements. */
  const hoistBlock = (frame: Frame, statements: readonly ts.Statement[], fn: ts.SignatureDeclaration): void => {
    for (const statement of statements) {
      if (ts.isVariableStatement(statement) && statement.declarationList.flags & ts.NodeFlags.BlockScoped) {
        const kind = statement.declarationList.flags & ts.NodeFlags.Const ? 'const' : 'let'
        for (const declaration of statement.declarationList.declarations) declarePattern(frame, declaration.name, kind, fn, isStringType(declaration.type) || isTextInit(declaration.initializer))
      } else if (ts.isFunctionDeclaration(statement) && statement.name) declare(frame, statement.name, 'function', fn)
      else if (ts.isClassDeclaration(statement) && statement.name) declare(frame, statement.name, 'class', fn)
    }
  }

  let currentFn: ts.SignatureDeclaration = forward
  const visit = (node: ts.Node): void => {
    if (ts.isTypeNode(node) && !ts.isExpressionWithTypeArguments(node)) return
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return
    if (isFunctionLike(node)) {
      const outerFn = currentFn
      currentFn = node
      const frame: Frame = new Map()
      chain.push(frame)
      if ((ts.isFunctionExpression(node) || ts.isClassExpression(node)) && node.name) declare(frame, node.name, 'function', node)
      for (const parameter of node.parameters) declarePattern(frame, parameter.name, 'param', node, isStringType(parameter.type))
      const body = (node as { body?: ts.Node }).body
      if (body) {
        hoistVars(frame, body, node)
        if (ts.isBlock(body)) hoistBlock(frame, body.statements, node)
        // Parameter defaults, then the body.
        for (const parameter of node.parameters) if (parameter.initializer) visit(parameter.initializer)
        for (const parameter of node.parameters) visitPatternDefaults(parameter.name)
        if (ts.isBlock(body)) body.statements.forEach(visit)
        else visit(body)
      }
      chain.pop()
      currentFn = outerFn
      return
    }
    if (ts.isBlock(node) || ts.isModuleBlock(node) || ts.isCaseBlock(node)) {
      const frame: Frame = new Map()
      chain.push(frame)
      if (ts.isCaseBlock(node)) for (const clause of node.clauses) hoistBlock(frame, clause.statements, currentFn)
      else hoistBlock(frame, node.statements, currentFn)
      ts.forEachChild(node, visit)
      chain.pop()
      return
    }
    if (ts.isForStatement(node) || ts.isForOfStatement(node) || ts.isForInStatement(node)) {
      const frame: Frame = new Map()
      chain.push(frame)
      const initializer = node.initializer
      if (initializer && ts.isVariableDeclarationList(initializer) && initializer.flags & ts.NodeFlags.BlockScoped) {
        for (const declaration of initializer.declarations) declarePattern(frame, declaration.name, initializer.flags & ts.NodeFlags.Const ? 'const' : 'let', currentFn)
      }
      ts.forEachChild(node, visit)
      chain.pop()
      return
    }
    if (ts.isCatchClause(node)) {
      const frame: Frame = new Map()
      chain.push(frame)
      if (node.variableDeclaration) declarePattern(frame, node.variableDeclaration.name, 'catch', currentFn)
      ts.forEachChild(node, visit)
      chain.pop()
      return
    }
    if (ts.isClassLike(node)) {
      // A class inside forward(): its members are their own functions.
      ts.forEachChild(node, visit)
      return
    }
    if (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node)) {
      // Declared names are already bound; visit initializers and computed keys.
      if (ts.isBindingElement(node) && node.propertyName && ts.isComputedPropertyName(node.propertyName)) visit(node.propertyName)
      visitPatternDefaults(node.name)
      if (node.initializer) visit(node.initializer)
      return
    }
    if (ts.isIdentifier(node)) {
      if (!isReference(node)) return
      const binding = lookup(node.text)
      if (binding) refs.set(node, binding)
      return
    }
    ts.forEachChild(node, visit)
  }
  const visitPatternDefaults = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) return
    for (const element of name.elements) {
      if (!ts.isBindingElement(element)) continue
      if (element.propertyName && ts.isComputedPropertyName(element.propertyName)) visit(element.propertyName)
      if (element.initializer) visit(element.initializer)
      visitPatternDefaults(element.name)
    }
  }
  visit(forward)

  // What happens to each binding.
  const rootBinding = (expression: ts.Expression): Binding | undefined => {
    let root = expression
    while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root) || ts.isParenthesizedExpression(root) || ts.isNonNullExpression(root)) root = root.expression
    return ts.isIdentifier(root) ? refs.get(root) : undefined
  }
  const markTargets = (target: ts.Expression, value?: ts.Expression, operator?: ts.SyntaxKind): void => {
    if (ts.isIdentifier(target)) {
      const binding = refs.get(target)
      if (binding) {
        binding.reassigned = true
        // Text stays text through `+=` and assignments of text; anything else may change its type
        // (a `string` annotation is the user's promise and is kept).
        const keepsText = operator === ts.SyntaxKind.PlusEqualsToken || (operator === ts.SyntaxKind.EqualsToken && value !== undefined && isTextInit(value))
        if (!keepsText && !stringAnnotated.has(binding)) binding.stringish = false
      }
    } else if (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) {
      const binding = rootBinding(target)
      if (binding) binding.mutated = true
    } else if (ts.isArrayLiteralExpression(target)) target.elements.forEach((element) => markTargets(ts.isSpreadElement(element) ? element.expression : element))
    else if (ts.isObjectLiteralExpression(target)) {
      for (const property of target.properties) {
        if (ts.isShorthandPropertyAssignment(property)) markTargets(property.name)
        else if (ts.isPropertyAssignment(property)) markTargets(property.initializer)
        else if (ts.isSpreadAssignment(property)) markTargets(property.expression)
      }
    } else if (ts.isParenthesizedExpression(target)) markTargets(target.expression)
    else if (ts.isBinaryExpression(target) && target.operatorToken.kind === ts.SyntaxKind.EqualsToken) markTargets(target.left)
  }
  const effects = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) markTargets(node.left, node.right, node.operatorToken.kind)
    else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) markTargets(node.operand)
    else if (ts.isDeleteExpression(node)) markTargets(node.expression)
    else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && mutatingMethods.has(node.expression.name.text)) {
      const binding = rootBinding(node.expression.expression)
      if (binding) binding.mutated = true
    }
    ts.forEachChild(node, effects)
  }
  if (forward.body) effects(forward.body)
  return { forward, bindings, refs }
}
