/**
 * Containers, as in PyTorch: `Sequential` chains modules; `ModuleList`, `ModuleDict`,
 * `ParameterList` and `ParameterDict` hold children and have no forward of their own.
 */
import { PlaitError } from '../runtime/errors.js'
import { Module } from './module.js'
import { describe, Parameter } from './parameter.js'
import { childNamed, ownEntries } from './symbols.js'

function checkModule(value: unknown, where: string): Module {
  if (!(value instanceof Module)) throw new TypeError(`Expected ${where} to be a Module, got ${describe(value)}.`)
  return value
}

function checkParameter(value: unknown, where: string): Parameter {
  if (!(value instanceof Parameter)) throw new TypeError(`Expected ${where} to be a Parameter, got ${describe(value)}.`)
  return value
}

function noForward(container: string, hint: string): never {
  throw new PlaitError(`${container} holds children and has no forward(); ${hint}`)
}

/**
 * Chains modules: each one's output is the next one's input. Children are named `0`, `1`, ...
 * or by the keys of an object.
 *
 * @example
 * ```ts
 * const chain = new Sequential<[string], string>(
 *   new LLMInference({ alias: 'fast', system: 'Translate to French.' }),
 *   new LLMInference({ alias: 'fast', system: 'Make it formal.' }),
 * )
 * const named = new Sequential({ translate: translator, polish: polisher })
 * const firstOnly = chain.slice(0, 1)
 * ```
 */
export class Sequential<In extends unknown[] = any[], Out = any> extends Module<In, Out> {
  readonly #entries: Array<[string, Module]>
  readonly #named: boolean

  constructor(...modules: Module[] | [Readonly<Record<string, Module>>]) {
    super()
    const only = modules[0]
    this.#named = modules.length === 1 && !(only instanceof Module) && typeof only === 'object' && only !== null
    this.#entries = this.#named
      ? Object.entries(only as Record<string, Module>).map(([name, module]): [string, Module] => [name, checkModule(module, `\`${name}\``)])
      : (modules as unknown[]).map((module, index): [string, Module] => [String(index), checkModule(module, `module ${index}`)])
  }

  override *[ownEntries](): Iterable<[string, Module]> {
    yield* this.#entries
  }

  /** The module named `name` (its index, or its key when built from an object). */
  [childNamed](name: string): Module | undefined {
    return this.at(name)
  }

  /** Number of modules in the chain. */
  override get length(): number {
    return this.#entries.length
  }

  /** The module at `index` (negative counts from the end), or by name for a named chain. */
  at(index: number | string): Module | undefined {
    if (typeof index === 'string') return this.#entries.find(([name]) => name === index)?.[1]
    return this.#entries.at(index)?.[1]
  }

  /** A new Sequential with the modules from `start` to `end` (exclusive), names kept. */
  slice(start?: number, end?: number): Sequential {
    const part = this.#entries.slice(start, end)
    return this.#named ? new Sequential(Object.fromEntries(part)) : new Sequential(...part.map(([, module]) => module))
  }

  *[Symbol.iterator](): Iterator<Module> {
    for (const [, module] of this.#entries) yield module
  }

  override forward(...args: In): Out {
    if (this.#entries.length === 0) throw new PlaitError('Expected a Sequential with at least one module; this one is empty.')
    let value: unknown = (this.#entries[0]![1] as (...input: unknown[]) => unknown)(...args)
    for (const [, module] of this.#entries.slice(1)) value = (module as (input: unknown) => unknown)(value)
    return value as Out
  }
}

/**
 * An array of modules, registered as children `0`, `1`, ...
 *
 * @example
 * ```ts
 * class Experts extends Module<[string], string[]> {
 *   experts = new ModuleList([lawyer, doctor, engineer])
 *   forward(question: string) {
 *     return [...this.experts].map((expert) => expert(question))
 *   }
 * }
 * ```
 */
export class ModuleList<Item extends Module = Module> extends Module<never[], never> {
  readonly #items: Item[]

  constructor(modules: Iterable<Item> = []) {
    super()
    this.#items = [...modules].map((module, index) => checkModule(module, `module ${index}`) as Item)
  }

  override *[ownEntries](): Iterable<[string, Module]> {
    for (const [index, module] of this.#items.entries()) yield [String(index), module]
  }

  /** The module at index `name` (`'0'`, `'1'`, ...). */
  [childNamed](name: string): Module | undefined {
    const index = Number(name)
    return String(index) === name ? this.#items[index] : undefined
  }

  override get length(): number {
    return this.#items.length
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Item | undefined {
    return this.#items.at(index)
  }

  /** Appends modules; returns the new length. */
  push(...modules: Item[]): number {
    return this.#items.push(...modules.map((module, index) => checkModule(module, `module ${index}`) as Item))
  }

  /** Calls `mapper` on each module, like `Array.prototype.map`. */
  map<T>(mapper: (module: Item, index: number) => T): T[] {
    return this.#items.map(mapper)
  }

  *[Symbol.iterator](): Iterator<Item> {
    yield* this.#items
  }

  override forward(): never {
    return noForward('ModuleList', 'call one of its modules, e.g. `this.experts.at(0)(input)` or `this.experts.map((expert) => expert(input))`.')
  }
}

/**
 * Modules by name, registered as children under their keys.
 *
 * @example
 * ```ts
 * heads = new ModuleDict({ title: titleWriter, summary: summarizer })
 * // forward(): this.heads.get('title')!(text)
 * ```
 */
export class ModuleDict<Item extends Module = Module> extends Module<never[], never> {
  readonly #items = new Map<string, Item>()

  constructor(modules: Readonly<Record<string, Item>> = {}) {
    super()
    for (const [name, module] of Object.entries(modules)) this.set(name, module)
  }

  override *[ownEntries](): Iterable<[string, Module]> {
    yield* this.#items
  }

  /** The module under `name`. */
  [childNamed](name: string): Module | undefined {
    return this.get(name)
  }

  get size(): number {
    return this.#items.size
  }

  get(name: string): Item | undefined {
    return this.#items.get(name)
  }

  has(name: string): boolean {
    return this.#items.has(name)
  }

  set(name: string, module: Item): this {
    this.#items.set(name, checkModule(module, `\`${name}\``) as Item)
    return this
  }

  keys(): IterableIterator<string> {
    return this.#items.keys()
  }

  values(): IterableIterator<Item> {
    return this.#items.values()
  }

  entries(): IterableIterator<[string, Item]> {
    return this.#items.entries()
  }

  override forward(): never {
    return noForward('ModuleDict', "call one of its modules, e.g. `this.heads.get('title')!(input)`.")
  }
}

/**
 * An array of parameters, registered as `0`, `1`, ...
 *
 * @example
 * ```ts
 * hints = new ParameterList([new Parameter('Be brief.', { description: 'Length hint.' })])
 * ```
 */
export class ParameterList extends Module<never[], never> {
  readonly #items: Parameter[]

  constructor(parameters: Iterable<Parameter> = []) {
    super()
    this.#items = [...parameters].map((parameter, index) => checkParameter(parameter, `parameter ${index}`))
  }

  override *[ownEntries](): Iterable<[string, Parameter]> {
    for (const [index, parameter] of this.#items.entries()) yield [String(index), parameter]
  }

  override get length(): number {
    return this.#items.length
  }

  at(index: number): Parameter | undefined {
    return this.#items.at(index)
  }

  push(...parameters: Parameter[]): number {
    return this.#items.push(...parameters.map((parameter, index) => checkParameter(parameter, `parameter ${index}`)))
  }

  *[Symbol.iterator](): Iterator<Parameter> {
    yield* this.#items
  }

  override forward(): never {
    return noForward('ParameterList', 'read its parameters instead, e.g. `this.hints.at(0)!.value`.')
  }
}

/**
 * Parameters by name, registered under their keys.
 *
 * @example
 * ```ts
 * prompts = new ParameterDict({ tone: new Parameter('Friendly.', { description: 'Tone of replies.' }) })
 * ```
 */
export class ParameterDict extends Module<never[], never> {
  readonly #items = new Map<string, Parameter>()

  constructor(parameters: Readonly<Record<string, Parameter>> = {}) {
    super()
    for (const [name, parameter] of Object.entries(parameters)) this.set(name, parameter)
  }

  override *[ownEntries](): Iterable<[string, Parameter]> {
    yield* this.#items
  }

  get size(): number {
    return this.#items.size
  }

  get(name: string): Parameter | undefined {
    return this.#items.get(name)
  }

  has(name: string): boolean {
    return this.#items.has(name)
  }

  set(name: string, parameter: Parameter): this {
    this.#items.set(name, checkParameter(parameter, `\`${name}\``))
    return this
  }

  keys(): IterableIterator<string> {
    return this.#items.keys()
  }

  entries(): IterableIterator<[string, Parameter]> {
    return this.#items.entries()
  }

  override forward(): never {
    return noForward('ParameterDict', "read its parameters instead, e.g. `this.prompts.get('tone')!.value`.")
  }
}
