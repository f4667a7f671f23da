/**
 * Pass 2, find candidate classes: classes whose heritage reaches a plait module class imported
 * from 'plait' (following `extends` through classes of the same file), or every class with a
 * `forward()` in a file with a `'use plait'` directive. A `'use no plait'` directive at the top of
 * `forward()` opts that method out. For each class, its fields: which are child modules (with
 * their alias when it is a literal), parameters, helper methods and plain data.
 */
import ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  SyntaxKind, forEachChild, isArrayLiteralExpression, isArrowFunction, isAsExpression,
  isBinaryExpression, isCallExpression, isClassDeclaration, isClassExpression,
  isConstructorDeclaration, isElementAccessExpression, isExportAssignment, isExportDeclaration,
  isExpressionStatement, isFunctionDeclaration, isFunctionExpression, isGetAccessorDeclaration,
  isIdentifier, isImportDeclaration, isMethodDeclaration, isNamedExports, isNamedImports,
  isNamespaceImport, isNewExpression, isNonNullExpression, isNumericLiteral,
  isObjectLiteralExpression, isParenthesizedExpression, isPrivateIdentifier,
  isPropertyAccessExpression, isPropertyAssignment, isPropertyDeclaration, isSatisfiesExpression,
  isSetAccessorDeclaration, isStringLiteral, isStringLiteralLike, isVariableDeclaration,
} from 'typescript'
import type { Parsed } from './parse.js'

/** What a field of the class holds, as far as the syntax shows. */
export type FieldKind = 'module' | 'parameter' | 'method' | 'function' | 'data' | 'unknown'

/** One field or method of a candidate class (own or from a base class of the same file). */
export interface FieldInfo {
  name: string
  kind: FieldKind
  /** Class name of a module field (`LLMInference`). */
  type?: string
  /** Endpoint alias when written as a string literal. */
  alias?: string
  /** Description of a parameter when written as a string literal. */
  description?: string
  /** Whether a helper method calls modules itself (its results may be pending). */
  callsModules?: boolean
  /** A module class imported from another file (found through `resolve`): that file's id and the class's exported name. */
  from?: { id: string; name: string }
}

/** A class whose `forward()` is compiled. */
export interface Candidate {
  name: string
  node: ts.ClassLikeDeclaration
  forward: ts.MethodDeclaration
  fields: Map<string, FieldInfo>
  /** `'use no plait'` at the top of forward(): left alone. */
  optedOut: boolean
}

/** What the file imports from 'plait'. */
export interface PlaitImports {
  /** Local name -> exported name (`M` -> `Module`). */
  named: Map<string, string>
  /** Local names of `import * as plait from 'plait'`. */
  namespaces: Set<string>
}

/** The module classes 'plait' exports; a class extending one of them is a module. */
export const moduleExports = new Set(['Module', 'LLMInference', 'Sequential', 'ModuleList', 'ModuleDict'])
/** The async-aware helpers; callbacks passed to them may call modules. */
export const helperExports = new Set(['pfilter', 'pmap', 'pfind', 'psome', 'pevery', 'psortBy'])
/** Constructors of plain data (never modules). */
const dataConstructors = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array', 'Object', 'Date', 'RegExp', 'URL', 'Error', 'Promise', 'AbortController', 'TextEncoder', 'TextDecoder'])

/** Result of the pass. */
export interface Candidates {
  imports: PlaitImports
  candidates: Candidate[]
  /** The file has a `'use plait'` directive. */
  directive: boolean
  /** The text of another file read through `resolve` (for `FieldInfo.from`). */
  sourceOf: (id: string) => string | undefined
}

/** The names that are module classes in one file (its own, and imported ones found through `resolve`). */
interface ModuleNames {
  has(name: string): boolean
  /** Where an imported module class comes from. */
  origin(name: string): { id: string; name: string } | undefined
}

function directives(statements: readonly ts.Statement[]): string[] {
  const found: string[] = []
  for (const statement of statements) {
    if (isExpressionStatement(statement) && isStringLiteral(statement.expression)) found.push(statement.expression.text)
    else break
  }
  return found
}

/**
 * The plait export a reference names (`Module`, `plait.Module`), if any.
 *
 * @example
 * ```ts
 * plaitName(node.heritageClauses[0].types[0].expression, imports) // 'Module'
 * ```
 */
export function plaitName(expression: ts.Expression, imports: PlaitImports): string | undefined {
  if (isIdentifier(expression)) return imports.named.get(expression.text)
  if (isPropertyAccessExpression(expression) && isIdentifier(expression.expression) && imports.namespaces.has(expression.expression.text)) return expression.name.text
  return undefined
}

function memberName(name: ts.PropertyName | undefined): string | undefined {
  if (!name) return undefined
  if (isIdentifier(name) || isPrivateIdentifier(name)) return name.text
  if (isStringLiteral(name) || isNumericLiteral(name)) return name.text
  return undefined
}

function stringProperty(options: ts.Expression | undefined, key: string): string | undefined {
  if (!options || !isObjectLiteralExpression(options)) return undefined
  for (const property of options.properties) {
    if (isPropertyAssignment(property) && memberName(property.name) === key && isStringLiteralLike(property.initializer)) return property.initializer.text
  }
  return undefined
}

/** Whether `node` (a method body) has a `this.x(...)` call where `x` is not a method: a module call. */
function hasThisCall(node: ts.Node, methods: Set<string>): boolean {
  let found = false
  const visit = (child: ts.Node): void => {
    if (found) return
    if (isCallExpression(child)) {
      let callee = child.expression
      if (isPropertyAccessExpression(callee) && callee.name.text === 'forward') callee = callee.expression
      let root = callee
      while (isPropertyAccessExpression(root) || isElementAccessExpression(root)) {
        if (root.expression.kind === SyntaxKind.ThisKeyword) break
        root = root.expression
      }
      if ((isPropertyAccessExpression(root) || isElementAccessExpression(root)) && root.expression.kind === SyntaxKind.ThisKeyword) {
        const name = isPropertyAccessExpression(root) ? root.name.text : undefined
        if (name === undefined || !methods.has(name)) found = true
      }
    }
    if (!isFunctionDeclaration(child) && !isFunctionExpression(child)) forEachChild(child, visit)
  }
  forEachChild(node, visit)
  return found
}

/** The kind of value an initializer makes. */
function classifyInitializer(init: ts.Expression, imports: PlaitImports, moduleClasses: ModuleNames): Omit<FieldInfo, 'name'> {
  let expression = init
  while (isParenthesizedExpression(expression) || isAsExpression(expression) || isSatisfiesExpression(expression) || isNonNullExpression(expression)) expression = expression.expression
  if (isArrowFunction(expression) || isFunctionExpression(expression)) return { kind: 'function' }
  if (isNewExpression(expression)) {
    const exported = plaitName(expression.expression, imports)
    const name = isIdentifier(expression.expression) ? expression.expression.text : isPropertyAccessExpression(expression.expression) ? expression.expression.name.text : undefined
    if (exported === 'Parameter') {
      const description = stringProperty(expression.arguments?.[1], 'description')
      return description === undefined ? { kind: 'parameter' } : { kind: 'parameter', description }
    }
    if (exported !== undefined && moduleExports.has(exported)) {
      const alias = exported === 'LLMInference' ? stringProperty(expression.arguments?.[0], 'alias') : undefined
      return alias === undefined ? { kind: 'module', type: exported } : { kind: 'module', type: exported, alias }
    }
    if (name !== undefined && moduleClasses.has(name)) {
      const from = moduleClasses.origin(name)
      return from === undefined ? { kind: 'module', type: name } : { kind: 'module', type: name, from }
    }
    if (name !== undefined && dataConstructors.has(name)) return { kind: 'data' }
    return name === undefined ? { kind: 'unknown' } : { kind: 'unknown', type: name }
  }
  if (isArrayLiteralExpression(expression)) {
    const kinds = expression.elements.map((element) => classifyInitializer(element, imports, moduleClasses).kind)
    return kinds.some((kind) => kind === 'module' || kind === 'unknown') ? { kind: 'module', type: 'Array' } : { kind: 'data' }
  }
  if (isObjectLiteralExpression(expression)) {
    const kinds = expression.properties.map((property) => (isPropertyAssignment(property) ? classifyInitializer(property.initializer, imports, moduleClasses).kind : 'data'))
    return kinds.some((kind) => kind === 'module' || kind === 'unknown') ? { kind: 'module', type: 'Object' } : { kind: 'data' }
  }
  return { kind: 'data' }
}

/**
 * Finds another file for an import (`'./base.js'` from `/repo/src/app.ts`): its id and source.
 * Hosts pass one so that `extends` can be followed across files; without it, only the file itself
 * is seen.
 */
export type ResolveImport = (specifier: string, importer: string) => { id: string; source: string } | undefined

/** What the pass knows about one file. */
interface FileContext {
  id: string
  sf: ts.SourceFile
  imports: PlaitImports
  /** Other imports: local name -> specifier and imported name (`default` for a default import). */
  locals: Map<string, { specifier: string; name: string }>
  classes: ts.ClassLikeDeclaration[]
  byName: Map<string, ts.ClassLikeDeclaration>
  /** Exported name -> class. */
  exported: Map<string, ts.ClassLikeDeclaration>
}

function contextOf(sf: ts.SourceFile, id: string): FileContext {
  const imports: PlaitImports = { named: new Map(), namespaces: new Set() }
  const locals = new Map<string, { specifier: string; name: string }>()
  for (const statement of sf.statements) {
    if (!isImportDeclaration(statement) || !isStringLiteral(statement.moduleSpecifier)) continue
    const specifier = statement.moduleSpecifier.text
    const clause = statement.importClause
    if (!clause || clause.isTypeOnly) continue
    if (specifier === 'plait') {
      const bindings = clause.namedBindings
      if (bindings && isNamespaceImport(bindings)) imports.namespaces.add(bindings.name.text)
      else if (bindings) for (const element of bindings.elements) imports.named.set(element.name.text, (element.propertyName ?? element.name).text)
      continue
    }
    if (clause.name) locals.set(clause.name.text, { specifier, name: 'default' })
    const bindings = clause.namedBindings
    if (bindings && isNamedImports(bindings)) for (const element of bindings.elements) locals.set(element.name.text, { specifier, name: (element.propertyName ?? element.name).text })
  }
  const classes: ts.ClassLikeDeclaration[] = []
  const byName = new Map<string, ts.ClassLikeDeclaration>()
  const visit = (node: ts.Node): void => {
    if (isClassDeclaration(node) || isClassExpression(node)) {
      classes.push(node)
      const name = node.name?.text ?? (isVariableDeclaration(node.parent) && isIdentifier(node.parent.name) ? node.parent.name.text : undefined)
      if (name !== undefined) byName.set(name, node)
    }
    forEachChild(node, visit)
  }
  visit(sf)
  const exported = new Map<string, ts.ClassLikeDeclaration>()
  for (const statement of sf.statements) {
    if (isClassDeclaration(statement) && statement.modifiers?.some((modifier) => modifier.kind === SyntaxKind.ExportKeyword)) {
      const isDefault = statement.modifiers.some((modifier) => modifier.kind === SyntaxKind.DefaultKeyword)
      if (isDefault) exported.set('default', statement)
      if (statement.name) exported.set(statement.name.text, statement)
    } else if (isExportDeclaration(statement) && !statement.moduleSpecifier && statement.exportClause && isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        const local = byName.get((element.propertyName ?? element.name).text)
        if (local) exported.set(element.name.text, local)
      }
    } else if (isExportAssignment(statement) && isIdentifier(statement.expression)) {
      const local = byName.get(statement.expression.text)
      if (local) exported.set('default', local)
    }
  }
  return { id, sf, imports, locals, classes, byName, exported }
}

/**
 * Finds the classes to compile and what their fields hold. With `resolve`, `extends` is followed
 * into other files (a base class imported from `'./base.js'`), for heritage and fields.
 *
 * @example
 * ```ts
 * const { candidates } = findCandidates(parse(source, 'app.ts'))
 * candidates.map((candidate) => candidate.name) // ['ExtractAndCompare']
 * ```
 */
export function findCandidates(parsed: Parsed, resolve?: ResolveImport): Candidates {
  const main = contextOf(parsed.sf, parsed.fileId)
  const { imports } = main
  const directive = directives(parsed.sf.statements).includes('use plait')
  const files = new Map<string, FileContext | undefined>([[parsed.fileId, main]])
  const fileFor = (specifier: string, importer: FileContext): FileContext | undefined => {
    if (!resolve) return undefined
    let found: { id: string; source: string } | undefined
    try {
      found = resolve(specifier, importer.id)
    } catch {
      found = undefined
    }
    if (!found) return undefined
    if (!files.has(found.id)) {
      const kind = /\.[cm]?jsx?$/.test(found.id) ? ts.ScriptKind.JS : ts.ScriptKind.TS
      files.set(found.id, contextOf(ts.createSourceFile(found.id, found.source, ts.ScriptTarget.Latest, true, kind), found.id))
    }
    return files.get(found.id)
  }

  type Resolved = { plait: string } | { node: ts.ClassLikeDeclaration; context: FileContext }
  const resolveClass = (expression: ts.Expression, context: FileContext): Resolved | undefined => {
    const exported = plaitName(expression, context.imports)
    if (exported !== undefined) return { plait: exported }
    if (!isIdentifier(expression)) return undefined
    const local = context.byName.get(expression.text)
    if (local) return { node: local, context }
    const imported = context.locals.get(expression.text)
    if (!imported) return undefined
    const other = fileFor(imported.specifier, context)
    const node = other?.exported.get(imported.name)
    return other && node ? { node, context: other } : undefined
  }
  const baseOf = (node: ts.ClassLikeDeclaration): ts.Expression | undefined =>
    node.heritageClauses?.find((clause) => clause.token === SyntaxKind.ExtendsKeyword)?.types[0]?.expression
  const isModuleClass = (node: ts.ClassLikeDeclaration, context: FileContext, seen = new Set<ts.Node>()): boolean => {
    if (seen.has(node)) return false
    seen.add(node)
    const base = baseOf(node)
    if (!base) return false
    const resolved = resolveClass(base, context)
    if (!resolved) return false
    if ('plait' in resolved) return moduleExports.has(resolved.plait)
    return isModuleClass(resolved.node, resolved.context, seen)
  }
  const moduleClassesOf = new Map<FileContext, ModuleNames>()
  const moduleClasses = (context: FileContext): ModuleNames => {
    let names = moduleClassesOf.get(context)
    if (!names) {
      const local = new Set<string>()
      for (const [name, node] of context.byName) if (isModuleClass(node, context)) local.add(name)
      // Imported classes are looked up only when a field constructs one.
      const imported = new Map<string, { id: string; name: string } | undefined>()
      const importedModule = (name: string) => {
        if (!imported.has(name)) {
          const found = context.locals.has(name) ? resolveClass(ts.factory.createIdentifier(name), context) : undefined
          imported.set(name, found && 'node' in found && isModuleClass(found.node, found.context) ? { id: found.context.id, name: context.locals.get(name)!.name } : undefined)
        }
        return imported.get(name)
      }
      names = { has: (name) => local.has(name) || importedModule(name) !== undefined, origin: (name) => (local.has(name) ? undefined : importedModule(name)) }
      moduleClassesOf.set(context, names)
    }
    return names
  }

  const fieldsOf = (node: ts.ClassLikeDeclaration, context: FileContext, seen = new Set<ts.Node>()): Map<string, FieldInfo> => {
    const fields = new Map<string, FieldInfo>()
    if (seen.has(node)) return fields
    seen.add(node)
    const base = baseOf(node)
    const resolved = base ? resolveClass(base, context) : undefined
    if (resolved && 'node' in resolved) for (const [name, info] of fieldsOf(resolved.node, resolved.context, seen)) fields.set(name, info)
    const methods = new Set<string>()
    for (const member of node.members) {
      const name = memberName(member.name)
      if (name !== undefined && (isMethodDeclaration(member) || isGetAccessorDeclaration(member) || isSetAccessorDeclaration(member))) methods.add(name)
    }
    for (const [name, info] of fields) if (info.kind === 'method') methods.add(name)
    for (const member of node.members) {
      const name = isConstructorDeclaration(member) ? 'constructor' : memberName(member.name)
      if (name === undefined || name === 'forward') continue
      if (isMethodDeclaration(member) || isGetAccessorDeclaration(member) || isSetAccessorDeclaration(member)) {
        const body = member.body
        fields.set(name, { name, kind: 'method', callsModules: body !== undefined && hasThisCall(body, methods) })
      } else if (isPropertyDeclaration(member)) {
        if (member.initializer) fields.set(name, { name, ...classifyInitializer(member.initializer, context.imports, moduleClasses(context)) })
        else if (!fields.has(name)) fields.set(name, { name, kind: 'unknown' })
      } else if (isConstructorDeclaration(member) && member.body) {
        for (const statement of member.body.statements) {
          if (!isExpressionStatement(statement) || !isBinaryExpression(statement.expression) || statement.expression.operatorToken.kind !== SyntaxKind.EqualsToken) continue
          const target = statement.expression.left
          if (isPropertyAccessExpression(target) && target.expression.kind === SyntaxKind.ThisKeyword) {
            fields.set(target.name.text, { name: target.name.text, ...classifyInitializer(statement.expression.right, context.imports, moduleClasses(context)) })
          }
        }
      }
    }
    return fields
  }

  const candidates: Candidate[] = []
  for (const node of main.classes) {
    const forward = node.members.find(
      (member): member is ts.MethodDeclaration => isMethodDeclaration(member) && memberName(member.name) === 'forward' && member.body !== undefined && !member.modifiers?.some((modifier) => modifier.kind === SyntaxKind.StaticKeyword),
    )
    if (!forward) continue
    if (!directive && !isModuleClass(node, main)) continue
    const name = node.name?.text ?? (isVariableDeclaration(node.parent) && isIdentifier(node.parent.name) ? node.parent.name.text : 'AnonymousModule')
    const optedOut = directives(forward.body!.statements).includes('use no plait')
    candidates.push({ name, node, forward, fields: fieldsOf(node, main), optedOut })
  }
  return { imports, candidates, directive, sourceOf: (id) => files.get(id)?.sf.text }
}
