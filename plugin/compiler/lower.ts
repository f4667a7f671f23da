/**
 * Pass 7, lower: rewrites one forward() in place into code that builds its graph through the
 * Scope API of 'plait/compiled' (`$.call`, `$.render`, `$.select`, `$.derive`, `$.cond`, `$.map`,
 * `$.effect`, `$.after`), and records the static graph nodes it makes. Edits are insertions around
 * user expressions and replacements of the punctuation between them, so that every user
 * statement stays on its line; a replaced range keeps its line breaks.
 */
import type ts from 'typescript'
// Per-node calls use named imports: TypeScript's namespace object has thousands of properties, so V8
// keeps it in dictionary mode and every `ts.isX(node)` pays a hash lookup (a fifth of compile time).
import {
  NodeFlags, SyntaxKind, forEachChild, isArrayBindingPattern, isArrayLiteralExpression,
  isAsExpression, isAwaitExpression, isBinaryExpression, isBlock, isCallExpression,
  isComputedPropertyName, isConditionalExpression, isDeleteExpression, isDoStatement,
  isElementAccessExpression, isExpression, isExpressionStatement, isForInStatement,
  isForOfStatement, isForStatement, isIdentifier, isIfStatement, isNewExpression,
  isNonNullExpression, isNumericLiteral, isObjectLiteralExpression, isOmittedExpression,
  isOptionalChain, isParenthesizedExpression, isPostfixUnaryExpression, isPrefixUnaryExpression,
  isPrivateIdentifier, isPropertyAccessExpression, isPropertyAssignment, isReturnStatement,
  isSatisfiesExpression, isShorthandPropertyAssignment, isSpreadAssignment, isSpreadElement,
  isStringLiteral, isStringLiteralLike, isSwitchStatement, isTaggedTemplateExpression,
  isTemplateExpression, isThrowStatement, isTryStatement, isTypeAssertionExpression,
  isTypeOfExpression, isVariableDeclarationList, isVariableStatement, isVoidExpression,
  isWhileStatement, tokenToString,
} from 'typescript'
import type { GraphNode, NodeKind, OutputShape, SourceLocation } from '../../src/graph/types.js'
import type { StatementPlan } from './classify.js'
import type { Edits } from './edits.js'
import { NodeIds, type TempNames } from './names.js'
import { lineColumn, type Parsed } from './parse.js'
import { skipOuter, type Facts } from './pending.js'
import { isFunctionLike, mutatingMethods, type Binding } from './scope.js'

/**
 * The source locations of a file, as one table the generated code indexes (`$L[3]`).
 *
 * @example
 * ```ts
 * const locations = new LocationTable('$L', parsed)
 * locations.at(callNode) // '$L[0]'
 * locations.sites[0] // { file: 'src/app.ts', line: 12, column: 20 }
 * ```
 */
export class LocationTable {
  readonly sites: SourceLocation[] = []
  private readonly index = new Map<string, number>()
  private readonly siteOf = new Map<ts.Node, SourceLocation>()
  constructor(
    readonly name: string,
    private readonly parsed: Parsed,
  ) {}

  /** `$L[n]` for the start of `node`. */
  at(node: ts.Node): string {
    return this.ref(this.site(node))
  }

  site(node: ts.Node): SourceLocation {
    // Asked twice for most nodes (the graph node and the generated code's `$L[n]`).
    let site = this.siteOf.get(node)
    if (site === undefined) {
      const { line, column } = lineColumn(this.parsed, node.getStart(this.parsed.sf))
      site = { file: this.parsed.file, line, column }
      this.siteOf.set(node, site)
    }
    return { ...site }
  }

  ref(site: SourceLocation): string {
    const key = `${site.line}:${site.column}`
    let position = this.index.get(key)
    if (position === undefined) {
      position = this.sites.length
      this.sites.push(site)
      this.index.set(key, position)
    }
    return `${this.name}[${position}]`
  }
}

/** What the lowering of an expression gives back. */
interface Value {
  pending: boolean
  /** Graph nodes the value depends on. */
  deps: string[]
  /** Its shape, for the graph's output. */
  shape: OutputShape
}

const plain: Value = { pending: false, deps: [], shape: { literal: null } }

/** What the pass gives back for one forward(). */
export interface Lowered {
  nodes: GraphNode[]
  inputs: string[]
  output: OutputShape
  /** For each call node: the graph nodes each argument depends on, and its control input. */
  calls: Map<string, { args: string[][]; control: string | undefined }>
}

const identifierCharacter = /[\w$]/
const needsEscape = /[\\']/
const q = (text: string) => (needsEscape.test(text) ? `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : `'${text}'`)

/**
 * Lowers the forward() the facts describe, editing `ms` in place.
 *
 * @example
 * ```ts
 * const lowered = lower({ parsed, ms, facts, plans, temps, locations, scopeName: '$', enterName: 'enter' })
 * lowered.nodes.map((node) => node.id) // ['doc1', 'doc2', 'facts1', 'facts2', 'render', 'return']
 * ```
 */
export function lower(input: LowerInput): Lowered {
  return new Lowerer(input).run()
}

/** What the lower pass works on. */
export interface LowerInput {
  parsed: Parsed
  ms: Edits
  facts: Facts
  plans: Map<ts.Statement, StatementPlan>
  temps: TempNames
  locations: LocationTable
  scopeName: string
  enterName: string
  /** forward() has no `await` left: drop its `async`. */
  dropAsync: boolean
}

interface Region {
  parent: string
  branch?: 'then' | 'else'
}

class Lowerer {
  private readonly ids = new NodeIds()
  private readonly nodes: GraphNode[] = []
  private readonly calls = new Map<string, { args: string[][]; control: string | undefined }>()
  private readonly deps = new Map<Binding, string[]>()
  private readonly shapes = new Map<Binding, OutputShape>()
  private region: Region | undefined
  private output: OutputShape | undefined
  private readonly $: string
  private readonly sf: ts.SourceFile

  constructor(
    private readonly input: LowerInput,
  ) {
    this.$ = input.scopeName
    this.sf = input.parsed.sf
  }

  run(): Lowered {
    const { facts, ms } = this.input
    const forward = facts.candidate.forward
    const inputs: string[] = []
    forward.parameters.forEach((parameter, index) => {
      const name = isIdentifier(parameter.name) ? parameter.name.text : `input${index}`
      const id = this.ids.take(name)
      inputs.push(id)
      this.nodes.push({ id, kind: 'input', inputs: [], label: name, module: '' })
      for (const binding of facts.scope.bindings) {
        if (binding.fn === forward && binding.kind === 'param' && within(binding.decl, parameter)) {
          this.deps.set(binding, [id])
          this.shapes.set(binding, { node: id })
        }
      }
    })
    const body = forward.body!
    ms.appendLeft(body.getStart(this.sf) + 1, ` const ${this.$} = ${this.input.enterName}(this);`)
    if (this.input.dropAsync) {
      const modifier = forward.modifiers?.find((item) => item.kind === SyntaxKind.AsyncKeyword)
      if (modifier) this.replace(modifier.getStart(this.sf), skipSpace(this.input.parsed.source, modifier.end), '')
    }
    this.list(body.statements, body.end - 1, '')
    return { nodes: this.nodes, inputs, output: this.output ?? { literal: null }, calls: this.calls }
  }

  // ---- edits ----

  private start(node: ts.Node): number {
    return node.getStart(this.sf)
  }

  private pre(position: number, text: string): void {
    this.input.ms.prependRight(position, this.spaced(position, text))
  }

  /** Minified code writes `return\`...\``: text put right after a keyword or name gets a space, so it stays a separate token. */
  private spaced(position: number, text: string): string {
    return identifierCharacter.test(this.input.parsed.source[position - 1] ?? '') && identifierCharacter.test(text[0] ?? '') ? ` ${text}` : text
  }

  private post(position: number, text: string): void {
    this.input.ms.appendLeft(position, text)
  }

  /** Replaces `[start, end)`, keeping its line breaks (so later lines keep their numbers). */
  private replace(start: number, end: number, text: string): void {
    if (start === end) {
      this.post(start, text)
      return
    }
    let breaks = 0
    for (let index = this.input.parsed.source.indexOf('\n', start); index !== -1 && index < end; index = this.input.parsed.source.indexOf('\n', index + 1)) breaks++
    const after = identifierCharacter.test(this.input.parsed.source[end] ?? '') && identifierCharacter.test(text.at(-1) ?? '') ? ' ' : ''
    this.input.ms.update(start, end, this.spaced(start, text) + after + '\n'.repeat(breaks))
  }

  private text(node: ts.Node): string {
    return this.input.parsed.source.slice(this.start(node), node.end)
  }

  private loc(node: ts.Node): string {
    return this.input.locations.at(node)
  }

  // ---- graph ----

  private node(kind: NodeKind, base: string, inputs: string[], at: ts.Node, extra: Partial<GraphNode> = {}): string {
    // A name reserved by `expression()` for its top node (`\0id`).
    const id = base.startsWith('\0') ? base.slice(1) : this.ids.take(base)
    // A node made inside a branch or a loop body lists the cond, map or await node it runs under
    // first (a control input: it is made only when that node runs). Renders and selections only
    // reshape values, so they do without.
    const control = this.region && kind !== 'render' && kind !== 'select' ? [this.region.parent] : []
    const node: GraphNode = { id, kind, inputs: kind === 'render' ? inputs : [...new Set([...control, ...inputs])], module: '', ...extra, loc: this.input.locations.site(at) }
    this.nodes.push(node)
    return id
  }

  private bindingOf(node: ts.Node): Binding | undefined {
    const inner = isExpression(node) ? skipOuter(node) : node
    return isIdentifier(inner) ? this.input.facts.binding(inner) : undefined
  }

  private depsOf(binding: Binding): string[] {
    return this.deps.get(binding) ?? []
  }

  // ---- statements ----

  /** Lowers a list of statements; `end` is where closing text goes, `fall` what runs when the list falls through. */
  private list(statements: readonly ts.Statement[], end: number, fall: string): void {
    const closings: string[] = []
    const savedRegion = this.region
    statements.forEach((statement, index) => {
      const rest = statements.length > index + 1
      const plan = this.input.plans.get(statement)
      const continues = plan !== undefined && (plan.kind === 'if-continue' || plan.kind === 'for-after' || plan.kind === 'loop-after' || plan.kind === 'try-after' || plan.kind === 'block-continue' || (plan.kind === 'if-plain' && plan.continues))
      if (!continues) {
        this.statement(statement)
        return
      }
      if (plan.kind === 'try-after') {
        // The statement runs as written on the resolved values, then the rest of forward().
        const names = plan.bindings.map((binding) => binding.name)
        const id = this.node('await', 'try', plan.bindings.flatMap((binding) => this.depsOf(binding)), statement, { label: 'try' })
        if (this.region === undefined && this.output === undefined) this.output = { node: id }
        this.pre(this.start(statement), `return ${this.$}.after(${q(id)}, [${names.join(', ')}], ([${names.join(', ')}]) => { `)
        closings.push(`}, ${this.loc(statement)}, true)`)
        this.region = { parent: id }
        return
      }
      if (plan.kind === 'loop-after') {
        const names = plan.bindings.map((binding) => binding.name)
        const keyword = isWhileStatement(statement) ? 'while' : isDoStatement(statement) ? 'do' : 'for'
        const id = this.node('await', keyword, plan.bindings.flatMap((binding) => this.depsOf(binding)), statement, { label: keyword })
        if (this.region === undefined && this.output === undefined) this.output = { node: id }
        this.pre(this.start(statement), `return ${this.$}.after(${q(id)}, [${names.join(', ')}], ([${names.join(', ')}]) => { `)
        const saved = this.region
        this.region = { parent: id }
        this.statement(statement)
        this.region = saved
        closings.push(`}, ${this.loc(statement)})`)
        this.region = { parent: id }
        return
      }
      if (plan.kind === 'for-after') {
        const id = this.forAfter(statement as ts.ForOfStatement)
        if (this.region === undefined && this.output === undefined) this.output = { node: id }
        closings.push(`}, ${this.loc(statement)})`)
        this.region = { parent: id }
        return
      }
      const k = rest ? this.input.temps.next('$k') : undefined
      const branchFall = k ? `return ${k}.call(this)` : fall
      const outer = this.region
      const id = this.continuation(statement, plan, branchFall)
      if (id && outer === undefined && this.output === undefined) this.output = { node: id }
      if (k) {
        this.post(statement.end, ` function ${k}() {`)
        closings.push('}')
      }
      if (id) this.region = { parent: id }
    })
    const tail = (fall ? `;${fall}` : '') + closings.reverse().join('')
    if (tail) this.post(end, tail)
    this.region = savedRegion
  }

  /** A branch (a block or one statement) lowered as a list ending with `fall`. */
  private branch(statement: ts.Statement, fall: string): void {
    if (isBlock(statement)) {
      this.list(statement.statements, statement.end - 1, fall)
      return
    }
    this.pre(this.start(statement), '{ ')
    this.list([statement], statement.end, fall)
    this.post(statement.end, ' }')
  }

  /** An `if` (or block) after which the rest continues in `fall`; returns the cond id, if any. */
  private continuation(statement: ts.Statement, plan: StatementPlan, fall: string): string | undefined {
    const $ = this.$
    if (plan.kind === 'block-continue' && isBlock(statement)) {
      this.list(statement.statements, statement.end - 1, fall)
      return undefined
    }
    const node = statement as ts.IfStatement
    const test = node.expression
    const elseBranch = node.elseStatement
    if (plan.kind === 'if-plain') {
      this.expression(test)
      this.branch(node.thenStatement, fall)
      if (elseBranch) this.branch(elseBranch, fall)
      else this.post(node.end, ` else { ${fall} }`)
      return undefined
    }
    const testValue = this.expression(test, 'test')
    const id = this.node('cond', 'if', testValue.deps, node, { label: 'if' })
    this.replace(this.start(node), this.start(test), `return ${$}.cond(${q(id)}, `)
    this.replace(test.end, this.start(node.thenStatement), ', () => ')
    const saved = this.region
    const savedDeps = new Map(this.deps)
    this.region = { parent: id, branch: 'then' }
    this.branch(node.thenStatement, fall)
    if (elseBranch) {
      this.replace(node.thenStatement.end, this.start(elseBranch), ', () => ')
      this.region = { parent: id, branch: 'else' }
      this.branch(elseBranch, fall)
    } else {
      this.post(node.thenStatement.end, `, () => { ${fall} }`)
    }
    this.region = saved
    this.mergeDeps(savedDeps, id)
    this.post(node.end, `, ${this.loc(node)}, true);`)
    return id
  }

  /** After branches ran in a region: bindings they changed depend on the region's node. */
  private mergeDeps(before: Map<Binding, string[]>, id: string): void {
    for (const [binding, deps] of this.deps) {
      if (before.get(binding) !== deps) {
        this.deps.set(binding, [id])
        this.shapes.set(binding, { node: id })
      }
    }
  }

  private forAfter(statement: ts.ForOfStatement): string {
    const $ = this.$
    const iterable = this.expression(statement.expression)
    const id = this.node('await', 'for', iterable.deps, statement, { label: 'for..of' })
    const items = this.input.temps.next('$v')
    this.replace(this.start(statement), this.start(statement.expression), `return ${$}.after(${q(id)}, `)
    const { head, prologue } = this.loopHead(statement, id)
    this.replace(statement.expression.end, this.start(statement.statement), `, (${items}) => { for (${head} of ${items}) `)
    const saved = this.region
    this.region = { parent: id }
    this.loopBody(statement.statement, prologue)
    this.region = saved
    return id
  }

  /** The head of a for..of over items that may be pending; patterns are destructured in the body. */
  private loopHead(statement: ts.ForOfStatement, parent: string | undefined): { head: string; prologue: string; param: string } {
    const initializer = statement.initializer
    if (!isVariableDeclarationList(initializer)) return { head: this.text(initializer), prologue: '', param: this.text(initializer) }
    const declaration = initializer.declarations[0]!
    const keyword = initializer.flags & NodeFlags.Const ? 'const' : initializer.flags & NodeFlags.Let ? 'let' : 'var'
    if (isIdentifier(declaration.name)) {
      const binding = this.input.facts.binding(declaration.name)
      if (binding && parent) {
        this.deps.set(binding, [parent])
        this.shapes.set(binding, { node: parent })
      }
      return { head: `${keyword} ${declaration.name.text}`, prologue: '', param: declaration.name.text }
    }
    const item = this.input.temps.next('$i')
    const saved = this.region
    const declarators = this.pattern(declaration.name, item, parent ? [parent] : [], statement)
    this.region = saved
    return { head: `${keyword} ${item}`, prologue: `${keyword} ${declarators.join(', ')};`, param: item }
  }

  private loopBody(body: ts.Statement, prologue: string): void {
    if (isBlock(body)) {
      if (prologue) this.post(this.start(body) + 1, ` ${prologue}`)
      this.list(body.statements, body.end - 1, '')
      return
    }
    this.pre(this.start(body), `{ ${prologue} `)
    this.list([body], body.end, '')
    this.post(body.end, ' }')
  }

  private statement(statement: ts.Statement): void {
    const plan = this.input.plans.get(statement)
    if (isVariableStatement(statement)) return this.declarations(statement.declarationList)
    if (isExpressionStatement(statement)) return this.expressionStatement(statement)
    if (isReturnStatement(statement)) {
      if (!statement.expression) return
      const value = this.expression(statement.expression, 'return')
      if (this.region === undefined && this.output === undefined) this.output = value.shape
      return
    }
    if (isThrowStatement(statement)) {
      const value = this.expression(statement.expression)
      const id = this.node('effect', 'throw', value.deps, statement, { label: 'throw' })
      this.replace(this.start(statement), this.start(statement.expression), `return ${this.$}.effect(${q(id)}, [`)
      this.post(statement.expression.end, `], ($0) => { throw $0 }, ${this.loc(statement)})`)
      return
    }
    if (isBlock(statement)) return this.list(statement.statements, statement.end - 1, '')
    if (isTryStatement(statement) && plan?.kind === 'try-attempt') return this.attempt(statement, plan)
    if (isIfStatement(statement)) {
      if (plan?.kind === 'if-values') return this.ifValues(statement, plan)
      this.expression(statement.expression)
      this.nested(statement.thenStatement)
      if (statement.elseStatement) this.nested(statement.elseStatement)
      return
    }
    if (isForOfStatement(statement)) {
      if (plan?.kind === 'for-map') return this.forMap(statement, plan.snapshot)
      this.expression(statement.expression)
      return this.nested(statement.statement)
    }
    if (isForStatement(statement)) {
      if (statement.initializer) {
        if (isVariableDeclarationList(statement.initializer)) this.declarations(statement.initializer)
        else this.expression(statement.initializer)
      }
      return this.nested(statement.statement)
    }
    if (isWhileStatement(statement) && plan?.kind === 'while-rounds') return this.whileRounds(statement, plan)
    if (isWhileStatement(statement) || isDoStatement(statement) || isForInStatement(statement)) return this.nested(statement.statement)
    if (isSwitchStatement(statement)) {
      for (const clause of statement.caseBlock.clauses) this.list(clause.statements, clause.end, '')
      return
    }
  }

  /** A statement nested in a plain if or loop. */
  private nested(statement: ts.Statement): void {
    if (isBlock(statement)) this.list(statement.statements, statement.end - 1, '')
    else this.statement(statement)
  }

  private ifValues(statement: ts.IfStatement, plan: Extract<StatementPlan, { kind: 'if-values' }>): void {
    const $ = this.$
    const test = this.expression(statement.expression, 'test')
    const id = this.node('cond', 'if', test.deps, statement, { label: 'if' })
    const assigned = plan.assigned.map((binding) => binding.name)
    const snapshot = plan.snapshot.map((binding) => binding.name)
    const c = assigned.length > 0 ? this.input.temps.next('$c') : undefined
    const wrapStart = snapshot.length > 0 ? `((${snapshot.join(', ')}) => ` : ''
    const wrapEnd = snapshot.length > 0 ? `)(${snapshot.join(', ')})` : ''
    const fall = assigned.length > 0 ? `return [${assigned.join(', ')}]` : ''
    this.replace(this.start(statement), this.start(statement.expression), `{ ${c ? `const ${c} = ` : ''}${$}.cond(${q(id)}, `)
    this.replace(statement.expression.end, this.start(statement.thenStatement), `, ${wrapStart}() => `)
    const saved = this.region
    const savedDeps = new Map(this.deps)
    this.region = { parent: id, branch: 'then' }
    this.branch(statement.thenStatement, fall)
    const elseBranch = statement.elseStatement
    if (elseBranch) {
      this.replace(statement.thenStatement.end, this.start(elseBranch), `${wrapEnd}, ${wrapStart}() => `)
      this.region = { parent: id, branch: 'else' }
      this.branch(elseBranch, fall)
      this.post(statement.end, wrapEnd)
    } else {
      this.post(statement.thenStatement.end, `${wrapEnd}, ${wrapStart}() => ${assigned.length > 0 ? `[${assigned.join(', ')}]` : 'undefined'}${wrapEnd}`)
    }
    this.region = saved
    this.deps.clear()
    for (const [binding, deps] of savedDeps) this.deps.set(binding, deps)
    const selects = this.selects(plan.assigned, id, c!, statement)
    this.post(statement.end, `, ${this.loc(statement)}${plan.ordered ? ', true' : ''})${selects.map((text) => `; ${text}`).join('')} }`)
  }

  /**
   * A `while` on a pending test: `{ const $w1 = (a, b) => $.cond('while', test, () => { body; return $w1(a, b) }, () => [a, b], loc, ordered); const $c1 = $w1(a, b); a = $.select(...); b = ... }`.
   * Each round is a conditional whose taken branch runs the body and makes the next round; the
   * variables the loop assigns (and those it reads that forward() reassigns) go from round to
   * round as arguments, and after the loop they are selections of the last round's values.
   */
  private whileRounds(statement: ts.WhileStatement, plan: Extract<StatementPlan, { kind: 'while-rounds' }>): void {
    const $ = this.$
    const test = this.expression(statement.expression, 'test')
    const id = this.node('cond', 'while', test.deps, statement, { label: 'while' })
    const assigned = plan.assigned.map((binding) => binding.name)
    const carried = [...new Set([...assigned, ...plan.snapshot.map((binding) => binding.name)])].join(', ')
    const rounds = this.input.temps.next('$w')
    const c = this.input.temps.next('$c')
    this.replace(this.start(statement), this.start(statement.expression), `{ const ${rounds} = (${carried}) => ${$}.cond(${q(id)}, `)
    this.replace(statement.expression.end, this.start(statement.statement), ', () => ')
    const saved = this.region
    const savedDeps = new Map(this.deps)
    this.region = { parent: id, branch: 'then' }
    this.branch(statement.statement, `return ${rounds}(${carried})`)
    this.region = saved
    this.restoreDeps(savedDeps)
    const selects = this.selects(plan.assigned, id, c!, statement)
    this.post(statement.end, `, () => [${assigned.join(', ')}], ${this.loc(statement)}${plan.ordered ? ', true' : ''}); const ${c} = ${rounds}(${carried})${selects.map((text) => `; ${text}`).join('')} }`)
  }

  /**
   * A `try` around module calls: `{ const $t1 = $.attempt('try', W(() => { try block; return [a] }), W((e) => { catch block; return [a] }), W(() => { finally block; return [b] }), loc); a = $.select(...); b = ... }`,
   * where `W` passes in copies of the variables each block assigns or reads that forward()
   * reassigns (taken before the `try` block runs).
   */
  private attempt(statement: ts.TryStatement, plan: Extract<StatementPlan, { kind: 'try-attempt' }>): void {
    const $ = this.$
    const source = this.input.parsed.source
    const main = plan.main.map((binding) => binding.name)
    const last = plan.last.map((binding) => binding.name)
    const wrap = (region: ts.Node, own: Binding[]) => {
      const names = [...new Set([...own, ...this.freeInputs(region).filter((binding) => binding.reassigned)].map((binding) => binding.name))]
      return names.length === 0 ? { start: '', end: '' } : { start: `((${names.join(', ')}) => `, end: `)(${names.join(', ')})` }
    }
    const id = this.ids.take('try')
    const t = this.input.temps.next('$t')
    const handler = statement.catchClause
    const finalizer = statement.finallyBlock
    const savedDeps = new Map(this.deps)
    const first = this.nodes.length
    // The try block: built now, in a failure scope.
    const body = wrap(statement.tryBlock, plan.main)
    this.replace(this.start(statement), this.start(statement.tryBlock) + 1, `{ const ${t} = ${$}.attempt(${q(id)}, ${body.start}() => {`)
    this.list(statement.tryBlock.statements, statement.tryBlock.end - 1, `return [${main.join(', ')}]`)
    const made = this.nodes.slice(first).map((node) => node.id)
    this.node('cond', `\0${id}`, made, statement, { label: 'try' })
    const saved = this.region
    let position = statement.tryBlock.end
    let closing = body.end
    // The catch block: built once the try block's scope has settled with a failure.
    if (handler) {
      this.restoreDeps(savedDeps)
      const catchWrap = wrap(handler, plan.main)
      const parameter = handler.variableDeclaration ? this.text(handler.variableDeclaration) : ''
      if (handler.variableDeclaration) {
        for (const binding of this.input.facts.scope.bindings) {
          if (binding.kind === 'catch' && within(binding.decl, handler.variableDeclaration)) this.deps.set(binding, [id])
        }
      }
      this.replace(position, this.start(handler.block) + 1, `${closing}, ${catchWrap.start}(${parameter}) => {`)
      this.region = { parent: id, branch: 'else' }
      this.list(handler.block.statements, handler.block.end - 1, `return [${main.join(', ')}]`)
      this.region = saved
      position = handler.end
      closing = catchWrap.end
    } else {
      this.post(position, `${closing}, undefined`)
      closing = ''
    }
    // The finally block: after either.
    if (finalizer) {
      this.restoreDeps(savedDeps)
      const finallyWrap = wrap(finalizer, plan.last)
      const keyword = source.lastIndexOf('finally', this.start(finalizer))
      this.replace(position, keyword, closing)
      this.replace(keyword, this.start(finalizer) + 1, `, ${finallyWrap.start}() => {`)
      this.region = { parent: id }
      this.list(finalizer.statements, finalizer.end - 1, `return [${last.join(', ')}]`)
      this.region = saved
      position = finalizer.end
      closing = finallyWrap.end
    } else {
      this.post(position, `${closing}, undefined`)
      closing = ''
    }
    this.restoreDeps(savedDeps)
    const selects = this.selects([...plan.main, ...plan.last], id, t, statement)
    this.post(position, `${closing}, ${this.loc(statement)})${selects.map((text) => `; ${text}`).join('')} }`)
  }

  /**
   * After a statement that hands back outer variables as one array (`$c1`, the result of node
   * `id`): a select node per variable, which the variable now stands for, and the assignments
   * (`a = $.select('a_2', $c1, 0, loc)`).
   */
  private selects(bindings: Binding[], id: string, result: string, statement: ts.Statement): string[] {
    return bindings.map((binding, index) => {
      const select = this.node('select', binding.name, [id], statement, { key: index })
      this.deps.set(binding, [select])
      this.shapes.set(binding, { node: select })
      return `${binding.name} = ${this.$}.select(${q(select)}, ${result}, ${index}, ${this.loc(statement)})`
    })
  }

  private restoreDeps(saved: Map<Binding, string[]>): void {
    this.deps.clear()
    for (const [binding, deps] of saved) this.deps.set(binding, deps)
  }

  private forMap(statement: ts.ForOfStatement, snapshot: Binding[]): void {
    const $ = this.$
    const iterable = this.expression(statement.expression)
    const id = this.node('map', 'for', iterable.deps, statement, { label: 'for..of' })
    const names = snapshot.map((binding) => binding.name)
    const wrapStart = names.length > 0 ? `((${names.join(', ')}) => ` : ''
    const wrapEnd = names.length > 0 ? `)(${names.join(', ')})` : ''
    this.replace(this.start(statement), this.start(statement.expression), `${$}.map(${q(id)}, `)
    const { prologue, param } = this.loopHead(statement, id)
    this.replace(statement.expression.end, this.start(statement.statement), `, ${wrapStart}(${param}) => `)
    const saved = this.region
    this.region = { parent: id }
    this.loopBody(statement.statement, prologue)
    this.region = saved
    this.post(statement.end, `${wrapEnd}, ${this.loc(statement)}, true);`)
  }

  private declarations(list: ts.VariableDeclarationList): void {
    for (const declaration of list.declarations) {
      if (!declaration.initializer) continue
      if (isIdentifier(declaration.name)) {
        // `$s1` holds the value of a switch rewritten as an if chain (desugar.ts).
        const value = this.expression(declaration.initializer, /^\$s\d+$/.test(declaration.name.text) ? 'switch' : declaration.name.text)
        const binding = this.input.facts.binding(declaration.name)
        if (binding) {
          this.deps.set(binding, value.deps)
          this.shapes.set(binding, value.shape)
        }
        continue
      }
      if (!this.input.facts.isPending(declaration.initializer)) continue
      const value = this.expression(declaration.initializer)
      const temp = this.input.temps.next('$d')
      this.replace(this.start(declaration.name), declaration.name.end, temp)
      const declarators = this.pattern(declaration.name, temp, value.deps, declaration)
      this.post(declaration.initializer.end, `, ${declarators.join(', ')}`)
    }
  }

  /** Declarators (`a = $.select(...)`) that destructure `source` by `pattern`. */
  private pattern(pattern: ts.BindingName, source: string, deps: string[], at: ts.Node): string[] {
    const $ = this.$
    const out: string[] = []
    const assign = (name: ts.BindingName, expression: string, nodeDeps: string[]) => {
      if (isIdentifier(name)) {
        out.push(`${name.text} = ${expression}`)
        const binding = this.input.facts.binding(name)
        if (binding) {
          this.deps.set(binding, nodeDeps)
          this.shapes.set(binding, nodeDeps.length === 1 ? { node: nodeDeps[0]! } : { literal: null })
        }
        return
      }
      const temp = this.input.temps.next('$d')
      out.push(`${temp} = ${expression}`)
      walk(name, temp, nodeDeps)
    }
    const walk = (current: ts.BindingPattern, from: string, fromDeps: string[]) => {
      const taken: string[] = []
      current.elements.forEach((element, index) => {
        if (isOmittedExpression(element)) return
        const nameText = isIdentifier(element.name) ? element.name.text : 'item'
        if (element.dotDotDotToken) {
          const rest = isArrayBindingPattern(current) ? `($0) => $0.slice(${index})` : `({ ${taken.map((key, position) => `${JSON.stringify(key)}: $${position + 1}`).join(', ')}${taken.length > 0 ? ', ' : ''}...$r }) => $r`
          const id = this.node('derive', nameText, fromDeps, at, { label: '...rest' })
          assign(element.name, `${$}.derive(${q(id)}, [${from}], ${rest}, ${this.loc(at)}, '...rest')`, [id])
          return
        }
        const key = isArrayBindingPattern(current) ? index : element.propertyName ? (isIdentifier(element.propertyName) || isStringLiteral(element.propertyName) || isNumericLiteral(element.propertyName) ? element.propertyName.text : nameText) : nameText
        if (typeof key === 'string') taken.push(key)
        const id = this.node('select', typeof key === 'string' ? key : nameText, fromDeps, at, { key })
        let expression = `${$}.select(${q(id)}, ${from}, ${JSON.stringify(key)}, ${this.loc(at)})`
        let valueDeps = [id]
        if (element.initializer) {
          const fallback = this.node('derive', nameText, [id], at, { label: '= default' })
          expression = `${$}.derive(${q(fallback)}, [${expression}], ($0) => ($0 === undefined ? (${this.text(element.initializer)}) : $0), ${this.loc(at)}, '= default')`
          valueDeps = [fallback]
        }
        assign(element.name, expression, valueDeps)
      })
    }
    if (isIdentifier(pattern)) assign(pattern, source, deps)
    else walk(pattern, source, deps)
    return out
  }

  private expressionStatement(statement: ts.ExpressionStatement): void {
    const { facts } = this.input
    const $ = this.$
    let expression = skipOuter(statement.expression)
    if (isAwaitExpression(expression) && facts.isPending(expression.expression)) {
      this.replace(this.start(expression), this.start(expression.expression), '')
      expression = skipOuter(expression.expression)
    }
    if (isBinaryExpression(expression) && expression.operatorToken.kind >= SyntaxKind.FirstAssignment && expression.operatorToken.kind <= SyntaxKind.LastAssignment) {
      const target = skipOuter(expression.left)
      const operator = expression.operatorToken.kind
      const local = isIdentifier(target) ? facts.binding(target) : undefined
      if (local) {
        if (operator === SyntaxKind.EqualsToken) {
          const value = this.expression(expression.right, local.name)
          this.deps.set(local, value.deps)
          this.shapes.set(local, value.shape)
          return
        }
        if (!facts.isPending(expression.right) && !local.pending) return
        const right = this.expression(expression.right)
        const op = tokenToString(operator)!.slice(0, -1)
        const inputs = [...this.depsOf(local), ...right.deps]
        const render = op === '+' && (local.stringish || facts.isStringish(expression.right))
        const id = render ? this.node('render', local.name, inputs, expression, { template: inputs.map(() => '').concat('') }) : this.node('derive', local.name, inputs, expression, { label: op })
        this.replace(target.end, this.start(expression.right), render ? ` = ${$}.render(${q(id)}, ['', '', ''], [${local.name}, ` : ` = ${$}.derive(${q(id)}, [${local.name}, `)
        this.post(expression.right.end, render ? `], ${this.loc(expression)})` : `], ($0, $1) => $0 ${op} $1, ${this.loc(expression)}, ${q(op)})`)
        this.deps.set(local, [id])
        this.shapes.set(local, { node: id })
        return
      }
      // A property of a local object or array: a holder; the value is kept as it is.
      if ((isPropertyAccessExpression(target) || isElementAccessExpression(target)) && this.localRoot(target)) {
        if (isElementAccessExpression(target)) this.expression(target.argumentExpression)
        this.expression(expression.right)
        return
      }
      // `this.x = value`, a global, a property of something outside: a side effect.
      const right = this.expression(expression.right)
      const name = isPropertyAccessExpression(target) ? target.name.text : isIdentifier(target) ? target.text : 'assign'
      const id = this.node('effect', name, right.deps, statement, { label: `${this.text(target)} ${tokenToString(operator)}` })
      this.replace(this.start(expression), this.start(expression.right), `${$}.effect(${q(id)}, [`)
      this.post(expression.right.end, `], ($0) => { ${this.text(target)} ${tokenToString(operator)} $0 }, ${this.loc(statement)})`)
      return
    }
    if ((isPrefixUnaryExpression(expression) || isPostfixUnaryExpression(expression)) && (expression.operator === SyntaxKind.PlusPlusToken || expression.operator === SyntaxKind.MinusMinusToken)) {
      const target = skipOuter(expression.operand)
      const local = isIdentifier(target) ? facts.binding(target) : undefined
      const op = expression.operator === SyntaxKind.PlusPlusToken ? '++' : '--'
      if (local) {
        if (!local.pending) return
        const id = this.node('derive', local.name, this.depsOf(local), expression, { label: op })
        this.replace(this.start(expression), expression.end, `${local.name} = ${$}.derive(${q(id)}, [${local.name}], ($0) => ${op}$0, ${this.loc(expression)}, ${q(op)})`)
        this.deps.set(local, [id])
        return
      }
      if ((isPropertyAccessExpression(target) || isElementAccessExpression(target)) && this.localRoot(target)) return
      const id = this.node('effect', isPropertyAccessExpression(target) ? target.name.text : 'update', [], statement, { label: this.text(expression) })
      this.replace(this.start(expression), expression.end, `${$}.effect(${q(id)}, [], () => { ${this.text(expression)} }, ${this.loc(statement)})`)
      return
    }
    if (isCallExpression(expression)) {
      const callee = skipOuter(expression.expression)
      if (facts.moduleCall(expression) || facts.plaitHelper(expression) || this.compiledCallbackCall(expression)) {
        this.expression(expression)
        return
      }
      if (callee.kind === SyntaxKind.SuperKeyword || (isPropertyAccessExpression(callee) && callee.expression.kind === SyntaxKind.SuperKeyword)) {
        for (const argument of expression.arguments) this.expression(argument)
        return
      }
      if (isPropertyAccessExpression(callee) && mutatingMethods.has(callee.name.text) && this.localRoot(callee.expression) && !facts.mayBeFuture(callee.expression)) {
        for (const argument of expression.arguments) this.expression(argument)
        return
      }
      this.call(expression, undefined, true)
      return
    }
    this.expression(statement.expression)
  }

  /** Whether `expression` is rooted at a local binding that is not a future (an array or object forward() made). */
  private localRoot(expression: ts.Expression): boolean {
    let root = skipOuter(expression)
    while (isPropertyAccessExpression(root) || isElementAccessExpression(root)) root = skipOuter(root.expression)
    return isIdentifier(root) && this.input.facts.binding(root) !== undefined
  }

  private compiledCallbackCall(call: ts.CallExpression): boolean {
    const callee = skipOuter(call.expression)
    if (!isPropertyAccessExpression(callee) || (callee.name.text !== 'map' && callee.name.text !== 'forEach')) return false
    const callback = call.arguments[0]
    return callback !== undefined && isFunctionLike(skipOuter(callback)) && this.input.facts.containsModuleCall(callback)
  }

  // ---- expressions ----

  /** Lowers an expression in place; `name` names its top node. */
  private expression(node: ts.Expression, name?: string): Value {
    const { facts } = this.input
    if (!facts.isPending(node)) return this.constant(node)
    // The binding's name goes to the top node, before any node inside takes it.
    if (name !== undefined && !name.startsWith('\0') && this.makesNode(node)) name = `\0${this.ids.take(name)}`
    if (isParenthesizedExpression(node) || isAsExpression(node) || isNonNullExpression(node) || isSatisfiesExpression(node) || isTypeAssertionExpression(node)) return this.expression(node.expression, name)
    if (isAwaitExpression(node)) {
      this.replace(this.start(node), this.start(node.expression), '')
      return this.expression(node.expression, name)
    }
    if (isIdentifier(node)) {
      const binding = facts.binding(node)
      const deps = binding ? this.depsOf(binding) : []
      return { pending: true, deps, shape: (binding && this.shapes.get(binding)) ?? (deps.length === 1 ? { node: deps[0]! } : { literal: null }) }
    }
    if (isCallExpression(node)) return this.call(node, name, false)
    if (isTemplateExpression(node)) return this.template(node, name)
    if (isBinaryExpression(node)) return this.binary(node, name)
    if (isPrefixUnaryExpression(node) || isTypeOfExpression(node) || isVoidExpression(node)) {
      const operand = isPrefixUnaryExpression(node) ? node.operand : node.expression
      const op = isTypeOfExpression(node) ? 'typeof ' : isVoidExpression(node) ? 'void ' : tokenToString(node.operator)!
      const value = this.expression(operand)
      const id = this.node('derive', name ?? 'derive', value.deps, node, { label: op.trim() })
      this.replace(this.start(node), this.start(operand), `${this.$}.derive(${q(id)}, [`)
      this.post(node.end, `], ($0) => ${op}$0, ${this.loc(node)}, ${q(op.trim())})`)
      return this.result(id)
    }
    if (isConditionalExpression(node)) return this.conditional(node, name)
    if (isPropertyAccessExpression(node) || isElementAccessExpression(node)) return this.access(node, name)
    if (isArrayLiteralExpression(node)) return this.arrayLiteral(node, name)
    if (isObjectLiteralExpression(node)) return this.objectLiteral(node, name)
    if (isNewExpression(node) && node.arguments && !node.arguments.some(isSpreadElement)) {
      const values = node.arguments.map((argument) => this.expression(argument))
      const id = this.node('derive', name ?? 'new', values.flatMap((value) => value.deps), node, { label: `new ${this.text(node.expression)}()` })
      this.replace(this.start(node), node.arguments.pos, `${this.$}.derive(${q(id)}, [`)
      this.replace(node.end - 1, node.end, `], (...$a) => new ${this.text(node.expression)}(...$a), ${this.loc(node)}, ${q(`new ${this.text(node.expression)}()`)})`)
      return this.result(id)
    }
    return this.closure(node, name, 'derive')
  }

  /** Whether lowering `node` makes a node of its own (not a plain identifier or literal). */
  private makesNode(node: ts.Expression): boolean {
    const inner = skipOuter(node)
    if (isAwaitExpression(inner)) return this.makesNode(inner.expression)
    if (isIdentifier(inner)) return false
    if (isArrayLiteralExpression(inner)) return inner.elements.some((element) => isOmittedExpression(element) || (isSpreadElement(element) && this.input.facts.isPending(element.expression)))
    if (isObjectLiteralExpression(inner)) return inner.properties.some((property) => !isPropertyAssignment(property) && !isShorthandPropertyAssignment(property))
    if (isConditionalExpression(inner)) return this.input.facts.isPending(inner.condition)
    if (isBinaryExpression(inner) && (inner.operatorToken.kind === SyntaxKind.CommaToken || ((inner.operatorToken.kind === SyntaxKind.AmpersandAmpersandToken || inner.operatorToken.kind === SyntaxKind.BarBarToken || inner.operatorToken.kind === SyntaxKind.QuestionQuestionToken) && !this.input.facts.isPending(inner.left)))) return false
    if (isCallExpression(inner)) {
      const callee = skipOuter(inner.expression)
      if (callee.kind === SyntaxKind.SuperKeyword || (isPropertyAccessExpression(callee) && callee.expression.kind === SyntaxKind.SuperKeyword)) return false
      if (isPropertyAccessExpression(callee) && this.compiledCallbackCall(inner) && !this.input.facts.isPending(callee.expression)) return false
      if (!this.input.facts.moduleCall(inner) && !inner.arguments.some((argument) => this.input.facts.isPending(argument) || (isFunctionLike(skipOuter(argument)) && this.input.facts.containsModuleCall(argument))) && !(isPropertyAccessExpression(callee) && this.input.facts.isPending(callee.expression)) && !(isElementAccessExpression(callee) && this.input.facts.isPending(callee.expression))) return false
    }
    return true
  }

  /** A value with no pending part: left as it is. */
  private constant(node: ts.Expression): Value {
    const inner = skipOuter(node)
    if (isStringLiteralLike(inner)) return { ...plain, shape: { literal: inner.text } }
    if (isNumericLiteral(inner)) return { ...plain, shape: { literal: Number(inner.text) } }
    if (inner.kind === SyntaxKind.TrueKeyword || inner.kind === SyntaxKind.FalseKeyword) return { ...plain, shape: { literal: inner.kind === SyntaxKind.TrueKeyword } }
    return plain
  }

  private result(id: string): Value {
    return { pending: true, deps: [id], shape: { node: id } }
  }

  /** Free bindings of `region` (declared outside it) that must be passed in: pending or reassigned ones. */
  private freeInputs(region: ts.Node, exclude?: ts.Node): Binding[] {
    const found: Binding[] = []
    const visit = (node: ts.Node): void => {
      if (exclude && node === exclude) return
      if (isIdentifier(node)) {
        const binding = this.input.facts.binding(node)
        if (binding && !within(binding.decl, region) && (binding.pending || binding.reassigned) && !found.includes(binding)) found.push(binding)
      }
      forEachChild(node, visit)
    }
    visit(region)
    return found
  }

  /** The whole expression in a closure over its free pending values: `$.derive(id, [a, b], (a, b) => (...), loc)`. */
  private closure(node: ts.Expression, name: string | undefined, requested: 'derive' | 'effect', label = 'derive'): Value {
    // Code that runs later and has statements with side effects of its own keeps their order.
    const kind = requested === 'derive' && this.hasSideEffectStatements(node) ? 'effect' : requested
    const free = this.freeInputs(node)
    const names = free.map((binding) => binding.name)
    const id = this.node(kind, name ?? (kind === 'effect' ? 'effect' : 'derive'), free.flatMap((binding) => this.depsOf(binding)), node, { label })
    // A statement's closure is a block; a value's returns it.
    const block = requested === 'effect'
    this.pre(this.start(node), `${this.$}.${kind}(${q(id)}, [${names.join(', ')}], (${names.join(', ')}) => ${block ? '{ ' : '('}`)
    this.post(node.end, `${block ? ' }' : ')'}, ${this.loc(node)}${kind === 'derive' ? `, ${q(label)}` : ''})`)
    return this.result(id)
  }

  private call(node: ts.CallExpression, name: string | undefined, effect: boolean): Value {
    const { facts } = this.input
    const $ = this.$
    const kind = effect ? 'effect' : 'derive'
    const moduleCall = facts.moduleCall(node)
    if (moduleCall) {
      const values = node.arguments.map((argument) => this.expression(argument))
      const field = facts.candidate.fields.get(moduleCall.path.split('.')[0]!)
      const simple = !moduleCall.path.includes('.')
      const extra: Partial<GraphNode> = { module: moduleCall.path, alias: (simple ? field?.alias : undefined) ?? '?' }
      if (simple && field?.type !== undefined) extra.moduleType = field.type
      const id = this.node('call', name ?? moduleCall.path, values.flatMap((value) => value.deps), node, extra)
      this.calls.set(id, { args: values.map((value) => value.deps), control: this.region?.parent })
      if (moduleCall.forward) this.replace(moduleCall.target.end, moduleCall.forward.end, '')
      this.pre(this.start(node), `${$}.call(`)
      this.replace(node.expression.end, node.arguments.pos, `, ${q(id)}, [`)
      // A field the compiler cannot see (from a class in another file) may be a plain method.
      const unseen = simple && (field === undefined || field.kind === 'unknown') && facts.thisField(moduleCall.target) !== undefined
      this.replace(node.end - 1, node.end, `], ${this.loc(node)}${unseen ? ', this' : ''})`)
      return this.result(id)
    }
    const callee = skipOuter(node.expression)
    const callbacks = node.arguments.some((argument) => isFunctionLike(skipOuter(argument)))
    const spreads = node.arguments.some((argument) => isSpreadElement(argument) && facts.isPending(argument.expression))
    // `String(x)`: a render.
    if (!effect && isIdentifier(callee) && callee.text === 'String' && !facts.binding(callee) && node.arguments.length === 1 && !spreads) {
      const argument = node.arguments[0]!
      const value = this.expression(argument)
      const id = this.node('render', name ?? 'render', value.deps, node, { template: ['', ''] })
      this.replace(this.start(node), this.start(argument), `${$}.render(${q(id)}, ['', ''], [`)
      this.replace(argument.end, node.end, `], ${this.loc(node)})`)
      return this.result(id)
    }
    // `.map()` / `.forEach()` with a callback that calls modules: compiled in place.
    if (this.compiledCallbackCall(node) && isPropertyAccessExpression(callee)) {
      const callback = skipOuter(node.arguments[0]!) as ts.ArrowFunction | ts.FunctionExpression
      if (!facts.isPending(callee.expression)) {
        this.callback(callback, undefined)
        return { pending: true, deps: [], shape: { literal: null } }
      }
      const receiver = this.expression(callee.expression)
      const id = this.node('map', name ?? callee.name.text, receiver.deps, node, { label: `.${callee.name.text}()` })
      this.pre(this.start(callee.expression), `${$}.map(${q(id)}, `)
      this.replace(callee.expression.end, this.start(node.arguments[0]!), ', ')
      this.callback(callback, id)
      this.replace(node.arguments[0]!.end, node.end, `, ${this.loc(node)}, true)`)
      return this.result(id)
    }
    const label = isPropertyAccessExpression(callee) ? `.${callee.name.text}()` : isIdentifier(callee) ? `${callee.text}()` : `${this.text(callee)}()`
    const base = name ?? (isPropertyAccessExpression(callee) ? callee.name.text : isIdentifier(callee) ? callee.text : kind)
    const methodOn = isPropertyAccessExpression(callee) && !callee.questionDotToken && !isOptionalChain(node) ? callee : undefined
    const receiverPending = methodOn !== undefined && facts.isPending(methodOn.expression)
    const receiverLocal = methodOn !== undefined && this.localRoot(methodOn.expression)
    if (isOptionalChain(node) || spreads || (callbacks && !methodOn) || (!methodOn && !isIdentifier(callee) && !this.isStaticPath(callee))) {
      return this.closure(node, name ?? base, kind, label)
    }
    // `list.push(value)` on an array forward() made (it may hold pending values): it runs now, in place.
    if (methodOn && receiverLocal && mutatingMethods.has(methodOn.name.text) && !facts.mayBeFuture(methodOn.expression)) {
      for (const argument of node.arguments) this.expression(argument)
      return { pending: true, deps: [], shape: { literal: null } }
    }
    if (methodOn && (receiverPending || receiverLocal)) {
      if (callbacks) {
        // Callbacks that have side effects of their own keep their order: an effect.
        const callbackKind = effect || this.hasSideEffectStatements(node) ? 'effect' : 'derive'
        const receiver = this.expression(methodOn.expression)
        // The receiver as an input; the arguments stay in the closure, with their free pending values passed in.
        const free = this.freeInputs(node, methodOn.expression).filter((binding) => !within(binding.decl, node))
        const names = free.map((binding) => binding.name)
        const r = this.input.temps.reserve('$r')
        const id = this.node(callbackKind, base, [...receiver.deps, ...free.flatMap((binding) => this.depsOf(binding))], node, { label })
        this.pre(this.start(methodOn.expression), `${$}.${callbackKind}(${q(id)}, [`)
        this.post(methodOn.expression.end, `${names.map((item) => `, ${item}`).join('')}], (${[r, ...names].join(', ')}) => ${r}`)
        this.post(node.end, `, ${this.loc(node)}${callbackKind === 'effect' ? '' : `, ${q(label)}`})`)
        return this.result(id)
      }
      const receiver = this.expression(methodOn.expression)
      const values = node.arguments.map((argument) => this.expression(argument))
      const id = this.node(kind, base, [...receiver.deps, ...values.flatMap((value) => value.deps)], node, { label })
      this.pre(this.start(methodOn.expression), `${$}.${kind}(${q(id)}, [`)
      const method = methodOn.name.text
      const tail = `], ($r, ...$a) => $r.${method}(...$a), ${this.loc(node)}${effect ? '' : `, ${q(label)}`})`
      if (node.arguments.length === 0) this.replace(methodOn.expression.end, node.end, tail)
      else {
        this.replace(methodOn.expression.end, node.arguments.pos, ', ')
        this.replace(node.end - 1, node.end, tail)
      }
      return this.result(id)
    }
    if (callbacks) return this.closure(node, name ?? base, kind, label)
    // A function or method of something outside forward(): the callee is written again in the closure.
    const values = node.arguments.map((argument) => this.expression(argument))
    const id = this.node(kind, base, values.flatMap((value) => value.deps), node, { label })
    this.replace(this.start(node), node.arguments.pos, `${$}.${kind}(${q(id)}, [`)
    this.replace(node.end - 1, node.end, `], (...$a) => ${this.text(callee)}(...$a), ${this.loc(node)}${effect ? '' : `, ${q(label)}`})`)
    return this.result(id)
  }

  /** Whether callbacks in `node` have statements with side effects (calls, assignments to properties). */
  private hasSideEffectStatements(node: ts.Node): boolean {
    let found = false
    const visit = (child: ts.Node): void => {
      if (found) return
      if (isExpressionStatement(child)) {
        let expression = skipOuter(child.expression)
        if (isAwaitExpression(expression)) expression = skipOuter(expression.expression)
        if (isCallExpression(expression) || isDeleteExpression(expression)) found = true
        else if (isBinaryExpression(expression) && expression.operatorToken.kind >= SyntaxKind.FirstAssignment && expression.operatorToken.kind <= SyntaxKind.LastAssignment && !isIdentifier(skipOuter(expression.left))) found = true
      }
      forEachChild(child, visit)
    }
    visit(node)
    return found
  }

  /** `a`, `a.b.c`, `this.helper`: a callee that can be written again later. */
  private isStaticPath(expression: ts.Expression): boolean {
    const inner = skipOuter(expression)
    if (isIdentifier(inner) || inner.kind === SyntaxKind.ThisKeyword) return true
    return isPropertyAccessExpression(inner) && !inner.questionDotToken && this.isStaticPath(inner.expression)
  }

  /** A callback compiled in place; `parent` is the map node it runs under, if the array may be pending. */
  private callback(fn: ts.ArrowFunction | ts.FunctionExpression, parent: string | undefined): void {
    const saved = this.region
    if (parent) this.region = { parent }
    for (const parameter of fn.parameters) {
      for (const binding of this.input.facts.scope.bindings) {
        if (binding.fn === fn && binding.kind === 'param' && within(binding.decl, parameter)) {
          this.deps.set(binding, parent ? [parent] : [])
          this.shapes.set(binding, parent ? { node: parent } : { literal: null })
        }
      }
    }
    // Variables changed later by forward() are passed in as they are now.
    const snapshot = parent ? this.freeInputs(fn).filter((binding) => binding.reassigned && binding.fn !== fn).map((binding) => binding.name) : []
    if (snapshot.length > 0) {
      this.pre(this.start(fn), `((${snapshot.join(', ')}) => `)
      this.post(fn.end, `)(${snapshot.join(', ')})`)
    }
    const body = fn.body
    if (isBlock(body)) this.list(body.statements, body.end - 1, '')
    else this.expression(body)
    this.region = saved
  }

  private template(node: ts.TemplateExpression, name: string | undefined): Value {
    const values = node.templateSpans.map((span) => this.expression(span.expression))
    const parts = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)]
    // The graph's template folds plain values in as their source text.
    const graphParts = [parts[0]!]
    const inputs: string[] = []
    node.templateSpans.forEach((span, index) => {
      const value = values[index]!
      if (value.pending && value.deps.length > 0) {
        value.deps.forEach((dep, position) => {
          inputs.push(dep)
          graphParts.push(position === value.deps.length - 1 ? parts[index + 1]! : '')
        })
      } else graphParts[graphParts.length - 1] += `\${${this.text(span.expression)}}` + parts[index + 1]!
    })
    const id = this.node('render', name ?? 'render', inputs, node, { template: graphParts })
    const spans = node.templateSpans
    this.replace(this.start(node), this.start(spans[0]!.expression), `${this.$}.render(${q(id)}, ${JSON.stringify(parts)}, [`)
    for (let index = 0; index + 1 < spans.length; index++) this.replace(spans[index]!.expression.end, this.start(spans[index + 1]!.expression), ', ')
    this.replace(spans[spans.length - 1]!.expression.end, node.end, `], ${this.loc(node)})`)
    return this.result(id)
  }

  private binary(node: ts.BinaryExpression, name: string | undefined): Value {
    const { facts } = this.input
    const $ = this.$
    const operator = node.operatorToken.kind
    if (operator === SyntaxKind.AmpersandAmpersandToken || operator === SyntaxKind.BarBarToken || operator === SyntaxKind.QuestionQuestionToken) {
      if (!facts.isPending(node.left)) {
        this.expression(node.left)
        const right = this.expression(node.right)
        return { pending: true, deps: right.deps, shape: right.shape }
      }
      const left = this.expression(node.left)
      let testDeps = left.deps
      let prefix = `${$}.cond(`
      let testId: string | undefined
      if (operator === SyntaxKind.QuestionQuestionToken) {
        testId = this.node('derive', 'nullish', left.deps, node, { label: '??' })
        testDeps = [testId]
      }
      const id = this.node('cond', name ?? 'cond', testDeps, node, { label: tokenToString(operator)! })
      if (testId) prefix = `${$}.cond(${q(id)}, ${$}.derive(${q(testId)}, [`
      else prefix = `${$}.cond(${q(id)}, `
      const { wrapStart, wrapEnd } = this.snapshotWrap(node.right)
      const saved = this.region
      this.region = { parent: id, branch: operator === SyntaxKind.BarBarToken ? 'else' : operator === SyntaxKind.QuestionQuestionToken ? 'else' : 'then' }
      this.expression(node.right)
      this.region = saved
      const ordered = this.hasCalls(node.right) ? ', true' : ''
      this.pre(this.start(node.left), prefix)
      const loc = this.loc(node)
      if (operator === SyntaxKind.AmpersandAmpersandToken) {
        this.replace(node.left.end, this.start(node.right), `, ${wrapStart}() => (`)
        this.post(node.right.end, `)${wrapEnd}, ($v) => $v, ${loc}${ordered})`)
      } else if (operator === SyntaxKind.BarBarToken) {
        this.replace(node.left.end, this.start(node.right), `, ($v) => $v, ${wrapStart}() => (`)
        this.post(node.right.end, `)${wrapEnd}, ${loc}${ordered})`)
      } else {
        this.replace(node.left.end, this.start(node.right), `], ($0) => ($0 == null ? 0 : [$0]), ${loc}, '??'), ($v) => $v[0], ${wrapStart}() => (`)
        this.post(node.right.end, `)${wrapEnd}, ${loc}${ordered})`)
      }
      return this.result(id)
    }
    if (operator === SyntaxKind.PlusToken && facts.isStringish(node)) {
      // A chain of concatenations: one render over every operand.
      const operands: ts.Expression[] = []
      const flatten = (expression: ts.Expression): void => {
        const inner = skipOuter(expression)
        if (inner === expression && isBinaryExpression(inner) && inner.operatorToken.kind === SyntaxKind.PlusToken && facts.isStringish(inner)) {
          flatten(inner.left)
          operands.push(inner.right)
        } else operands.push(expression)
      }
      flatten(node)
      const values = operands.map((operand) => this.expression(operand))
      const graphParts = ['']
      const inputs: string[] = []
      operands.forEach((operand, index) => {
        const value = values[index]!
        const inner = skipOuter(operand)
        if (value.pending && value.deps.length > 0) {
          for (const dep of value.deps) {
            inputs.push(dep)
            graphParts.push('')
          }
        } else graphParts[graphParts.length - 1] += isStringLiteralLike(inner) ? inner.text : `\${${this.text(operand)}}`
      })
      const id = this.node('render', name ?? 'render', inputs, node, { template: graphParts })
      this.pre(this.start(operands[0]!), `${$}.render(${q(id)}, ${JSON.stringify(operands.map(() => '').concat(''))}, [`)
      for (let index = 0; index + 1 < operands.length; index++) this.replace(operands[index]!.end, this.start(operands[index + 1]!), ', ')
      this.post(operands[operands.length - 1]!.end, `], ${this.loc(node)})`)
      return this.result(id)
    }
    if (operator === SyntaxKind.CommaToken) {
      // The left operand is there for its side effects: a call goes on the effect chain.
      const left = skipOuter(node.left)
      if (isCallExpression(left) && !facts.moduleCall(left) && !facts.plaitHelper(left) && !this.compiledCallbackCall(left)) this.call(left, undefined, true)
      else this.expression(node.left)
      return this.expression(node.right, name)
    }
    const left = this.expression(node.left)
    const right = this.expression(node.right)
    const op = tokenToString(operator)!
    const id = this.node('derive', name ?? 'derive', [...left.deps, ...right.deps], node, { label: op })
    this.pre(this.start(node.left), `${$}.derive(${q(id)}, [`)
    this.replace(node.left.end, this.start(node.right), ', ')
    this.post(node.right.end, `], ($0, $1) => $0 ${op} $1, ${this.loc(node)}, ${q(op)})`)
    return this.result(id)
  }

  private hasCalls(node: ts.Node): boolean {
    let found = false
    const visit = (child: ts.Node): void => {
      if (found) return
      if (isCallExpression(child) || isNewExpression(child) || isTaggedTemplateExpression(child)) found = true
      else forEachChild(child, visit)
    }
    visit(node)
    return found
  }

  /** Wraps a deferred branch so that variables forward() reassigns later are read as they are now. */
  private snapshotWrap(...regions: ts.Node[]): { wrapStart: string; wrapEnd: string } {
    const names = [...new Set(regions.flatMap((region) => this.freeInputs(region).filter((binding) => binding.reassigned).map((binding) => binding.name)))]
    if (names.length === 0) return { wrapStart: '', wrapEnd: '' }
    return { wrapStart: `((${names.join(', ')}) => `, wrapEnd: `)(${names.join(', ')})` }
  }

  private conditional(node: ts.ConditionalExpression, name: string | undefined): Value {
    const { facts } = this.input
    if (!facts.isPending(node.condition)) {
      this.expression(node.condition)
      const whenTrue = this.expression(node.whenTrue)
      const whenFalse = this.expression(node.whenFalse)
      return { pending: true, deps: [...whenTrue.deps, ...whenFalse.deps], shape: { literal: null } }
    }
    const test = this.expression(node.condition, 'test')
    const id = this.node('cond', name ?? 'cond', test.deps, node, { label: '?:' })
    const { wrapStart, wrapEnd } = this.snapshotWrap(node.whenTrue, node.whenFalse)
    const saved = this.region
    this.region = { parent: id, branch: 'then' }
    this.expression(node.whenTrue)
    this.region = { parent: id, branch: 'else' }
    this.expression(node.whenFalse)
    this.region = saved
    const ordered = this.hasCalls(node.whenTrue) || this.hasCalls(node.whenFalse) ? ', true' : ''
    this.pre(this.start(node.condition), `${this.$}.cond(${q(id)}, `)
    this.replace(node.condition.end, this.start(node.whenTrue), `, ${wrapStart}() => (`)
    this.replace(node.whenTrue.end, this.start(node.whenFalse), `)${wrapEnd}, ${wrapStart}() => (`)
    this.post(node.whenFalse.end, `)${wrapEnd}, ${this.loc(node)}${ordered})`)
    return this.result(id)
  }

  private access(node: ts.PropertyAccessExpression | ts.ElementAccessExpression, name: string | undefined): Value {
    const { facts } = this.input
    const $ = this.$
    if (isOptionalChain(node) || (isPropertyAccessExpression(node) && isPrivateIdentifier(node.name))) {
      // The root before the first `?.` is an input; the rest of the chain runs on its value.
      let root: ts.Expression = node
      while ((isPropertyAccessExpression(root) || isElementAccessExpression(root) || isCallExpression(root)) && isOptionalChain(root)) {
        const inner: ts.Expression = root.expression
        if (root.questionDotToken) {
          root = inner
          break
        }
        root = inner
      }
      if (root === node) return this.closure(node, name, 'derive', '?.')
      const value = this.expression(root)
      const free = this.freeInputs(node, root)
      const names = free.map((binding) => binding.name)
      const id = this.node('derive', name ?? 'derive', [...value.deps, ...free.flatMap((binding) => this.depsOf(binding))], node, { label: '?.' })
      this.pre(this.start(root), `${$}.derive(${q(id)}, [`)
      this.post(root.end, `${names.map((item) => `, ${item}`).join('')}], (${['$0', ...names].join(', ')}) => $0`)
      this.post(node.end, `, ${this.loc(node)}, '?.')`)
      return this.result(id)
    }
    if (!facts.isPending(node.expression)) {
      // A plain object indexed by a pending key.
      const argument = (node as ts.ElementAccessExpression).argumentExpression
      const key = this.expression(argument)
      const id = this.node('derive', name ?? 'derive', key.deps, node, { label: '[]' })
      this.pre(this.start(node.expression), `${$}.derive(${q(id)}, [`)
      this.replace(node.expression.end, this.start(argument), ', ')
      this.replace(argument.end, node.end, `], ($0, $1) => $0[$1], ${this.loc(node)}, '[]')`)
      return this.result(id)
    }
    const object = this.expression(node.expression)
    let key: string | number | undefined
    if (isPropertyAccessExpression(node)) key = node.name.text
    else {
      const argument = skipOuter(node.argumentExpression)
      if (isStringLiteralLike(argument)) key = argument.text
      else if (isNumericLiteral(argument)) key = Number(argument.text)
    }
    if (key !== undefined) {
      const id = this.node('select', name ?? (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key) ? key : 'select'), object.deps, node, { key })
      this.pre(this.start(node.expression), `${$}.select(${q(id)}, `)
      this.replace(node.expression.end, node.end, `, ${JSON.stringify(key)}, ${this.loc(node)})`)
      return this.result(id)
    }
    const element = node as ts.ElementAccessExpression
    const index = this.expression(element.argumentExpression)
    const id = this.node('derive', name ?? 'derive', [...object.deps, ...index.deps], node, { label: '[]' })
    this.pre(this.start(node.expression), `${$}.derive(${q(id)}, [`)
    this.replace(node.expression.end, this.start(element.argumentExpression), ', ')
    this.replace(element.argumentExpression.end, node.end, `], ($0, $1) => $0[$1], ${this.loc(node)}, '[]')`)
    return this.result(id)
  }

  private arrayLiteral(node: ts.ArrayLiteralExpression, name: string | undefined): Value {
    const { facts } = this.input
    if (node.elements.some((element) => isOmittedExpression(element))) return this.closure(node, name, 'derive', '[...]')
    const spreads = node.elements.some((element) => isSpreadElement(element) && facts.isPending(element.expression))
    const values = node.elements.map((element) => this.expression(isSpreadElement(element) ? element.expression : element))
    if (!spreads) {
      return { pending: true, deps: values.flatMap((value) => value.deps), shape: { array: values.map((value) => value.shape) } }
    }
    const id = this.node('derive', name ?? 'derive', values.flatMap((value) => value.deps), node, { label: '[...]' })
    const items = node.elements.map((element, index) => (isSpreadElement(element) ? `...$a[${index}]` : `$a[${index}]`))
    for (const element of node.elements) if (isSpreadElement(element)) this.replace(this.start(element), this.start(element.expression), '')
    this.replace(this.start(node), this.start(node).valueOf() + 1, `${this.$}.derive(${q(id)}, [`)
    this.replace(node.end - 1, node.end, `], (...$a) => [${items.join(', ')}], ${this.loc(node)}, '[...]')`)
    return this.result(id)
  }

  private objectLiteral(node: ts.ObjectLiteralExpression, name: string | undefined): Value {
    const { facts } = this.input
    const complex = node.properties.some(
      (property) =>
        (isSpreadAssignment(property) && facts.isPending(property.expression)) ||
        (!isPropertyAssignment(property) && !isShorthandPropertyAssignment(property) && !isSpreadAssignment(property)) ||
        ((isPropertyAssignment(property) || isShorthandPropertyAssignment(property)) && property.name !== undefined && isComputedPropertyName(property.name) && facts.isPending(property.name.expression)),
    )
    if (complex) return this.closure(node, name, 'derive', '{...}')
    const entries: Record<string, OutputShape> = {}
    const deps: string[] = []
    for (const property of node.properties) {
      if (isPropertyAssignment(property)) {
        if (isComputedPropertyName(property.name)) this.expression(property.name.expression)
        const value = this.expression(property.initializer)
        deps.push(...value.deps)
        const key = isIdentifier(property.name) || isStringLiteralLike(property.name) || isNumericLiteral(property.name) ? property.name.text : undefined
        if (key !== undefined) entries[key] = value.shape
      } else if (isShorthandPropertyAssignment(property)) {
        const value = this.expression(property.name)
        deps.push(...value.deps)
        entries[property.name.text] = value.shape
      } else if (isSpreadAssignment(property)) this.expression(property.expression)
    }
    return { pending: true, deps, shape: { object: entries } }
  }
}

function within(inner: ts.Node, outer: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end
}

function skipSpace(source: string, position: number): number {
  let index = position
  while (index < source.length && (source[index] === ' ' || source[index] === '\t')) index++
  return index
}
