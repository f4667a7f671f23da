/**
 * `train()`: the training loop. Batches of examples run through the model and the loss in one run
 * each (a TrainingStep), in parallel within the endpoints' limits; their losses go backward; the
 * optimizer steps; the validation set is scored after each step, and a step that made it worse
 * is rolled back.
 */
import type { Endpoint } from '../../runtime/endpoint.js'
import { seededRandom } from '../../runtime/endpoints/prng.js'
import { PlaitError } from '../../runtime/errors.js'
import { Module } from '../module.js'
import { describe } from '../parameter.js'
import type { Pipeline, Settled } from '../pipeline.js'
import type { BackwardOptions } from './backward.js'
import { mean } from './feedback.js'
import type { LossValue } from './loss-value.js'
import { Loss } from './losses/loss.js'
import { Optimizer, type StepChanges } from './optimizers/optimizer.js'
import { zeroFeedback } from './parameter-feedback.js'
import { TrainingStep } from './training-step.js'
import { UsageMeter, type Pricing, type UsageSummary } from './usage.js'

/**
 * One labelled example: the model's input (`input` for a one-argument model, `inputs` for
 * several) and the target the loss compares with.
 *
 * @example
 * ```ts
 * const data: Array<Example<[string], string>> = [{ input: 'My card was charged twice.', target: 'billing' }]
 * ```
 */
export type Example<In extends unknown[] = unknown[], Target = unknown> = { target?: Target } & (In extends [infer Only] ? { input: Only } | { inputs: In } : { inputs: In })

/**
 * Options of {@link train}.
 *
 * @example
 * ```ts
 * const options: TrainOptions<[string], string, string> = { model, loss, optimizer, data, validation, endpoints, epochs: 2, batchSize: 4 }
 * ```
 */
export interface TrainOptions<In extends unknown[], Out, Target> {
  /** The model, or a pipeline of it (whose endpoints are then used). */
  model: Module<In, Out> | Pipeline<In, Out>
  loss: Loss<Awaited<Out>, Target>
  /** A bound optimizer over the model's parameters. */
  optimizer: Optimizer
  data: Iterable<Example<In, Target>>
  /** Scored after each step (and once before the first); a step that lowers its score is rolled back. */
  validation?: Iterable<Example<In, Target>>
  /** Endpoints for the model and the loss (added to a pipeline's own). */
  endpoints?: Readonly<Record<string, Endpoint>>
  /** Passes over `data`. Default 1. */
  epochs?: number
  /** Examples per step. Default 8. */
  batchSize?: number
  /** Most runs in flight at once (endpoint limits hold regardless). Default: a whole batch. */
  concurrency?: number
  /** Options of each `loss.backward()` (textual gradients...). */
  backward?: Pick<BackwardOptions, 'gradients' | 'llm' | 'maxChars'>
  /** Roll back a step that lowers the validation score. Default true (needs `validation`). */
  rollback?: boolean
  /** Shuffle `data` each epoch, with a seeded generator. Default false. */
  shuffle?: boolean
  /** Seed of the shuffle. Default 0. */
  seed?: number
  /** Prices by model, for `cost` in the history. */
  pricing?: Pricing
  /** Called after the baseline evaluation and after each step. */
  onProgress?: (progress: TrainingProgress) => void
  signal?: AbortSignal
}

/**
 * Reported to `onProgress`.
 *
 * @example
 * ```ts
 * onProgress: (p) => console.log(`step ${p.step}/${p.totalSteps}: train ${p.trainScore} val ${p.validationScore}${p.rolledBack ? ' (rolled back)' : ''}`)
 * ```
 */
export interface TrainingProgress {
  /** 0 for the baseline evaluation. */
  step: number
  totalSteps: number
  epoch: number
  /** Mean loss score of the step's batch. */
  trainScore: number | undefined
  validationScore: number | undefined
  bestValidationScore: number | undefined
  /** Paths the step changed (before any rollback). */
  changed: string[]
  rolledBack: boolean
  usage: UsageSummary
}

/**
 * One step of a training history.
 *
 * @example
 * ```ts
 * history.steps.map((step) => [step.step, step.trainScore, step.validationScore, step.rolledBack])
 * ```
 */
export interface TrainingStepRecord {
  epoch: number
  step: number
  /** Mean loss score of the batch. */
  trainScore: number
  /** Each example's loss score (failed examples are left out). */
  scores: number[]
  /** Examples whose run failed (left out of backward). */
  failures: number
  validationScore: number | undefined
  /** What the optimizer changed. */
  changes: StepChanges
  rolledBack: boolean
  /** The model's parameter values after the step (and after any rollback). */
  parameters: Record<string, string>
  /** Calls, tokens and cost of the step (runs, backward, optimizer, validation). */
  usage: UsageSummary
}

/**
 * What `train()` returns.
 *
 * @example
 * ```ts
 * const history = await train({ ... })
 * console.log(history.initialValidationScore, '->', history.bestValidationScore, history.usage.calls)
 * ```
 */
export interface TrainingHistory {
  initialValidationScore: number | undefined
  bestValidationScore: number | undefined
  /** The last step whose changes were kept (0: none, the initial parameters are the best). */
  bestStep: number
  steps: TrainingStepRecord[]
  /** The parameters the model has at the end (the best ones). */
  parameters: Record<string, string>
  usage: UsageSummary
}

/**
 * Trains `model` on `data`: for each batch, runs model and loss together (training mode), sends
 * each example's loss backward through its own tape, steps the optimizer, scores `validation`,
 * keeps the best parameters (rolling back a step that made validation worse) and reports
 * progress. The model ends with the best parameters and its training mode as before.
 *
 * @example
 * ```ts
 * const history = await train({
 *   model,
 *   loss: new VerifierLoss(matchesLabel),
 *   optimizer: new SFAOptimizer(model).bind({ endpoints: { optimizer: openai({ model: 'gpt-4o' }) } }),
 *   data: trainSet,
 *   validation: validationSet,
 *   endpoints: { main: openai({ model: 'gpt-4o-mini' }) },
 *   epochs: 2,
 *   batchSize: 4,
 * })
 * await saveParameters(model, 'params.json')
 * ```
 */
export async function train<In extends unknown[], Out, Target>(options: TrainOptions<In, Out, Target>): Promise<TrainingHistory> {
  const settings = checkOptions(options)
  const { module, optimizer, loss, signal } = settings
  const step = new TrainingStep(module, loss)
  const pipeline = step.bind({ endpoints: settings.endpoints }) as unknown as Pipeline<unknown[], LossValue>
  const meter = new UsageMeter(settings.pricing)
  const wasTraining = module.training
  const batchOptions = (record: boolean) => {
    const result: { record: boolean; onNode: typeof meter.onNode; signal?: AbortSignal; concurrency?: number } = { record, onNode: meter.onNode }
    if (signal) result.signal = signal
    if (settings.concurrency !== undefined) result.concurrency = settings.concurrency
    return result
  }
  const evaluate = async (): Promise<number | undefined> => {
    if (settings.validation.length === 0) return undefined
    const settled = await pipeline.batch(settings.validation.map(argsOf), batchOptions(false))
    return mean(settled.map((item) => (item.ok ? item.value.score : 0)))
  }
  const batchesPerEpoch = Math.ceil(settings.data.length / settings.batchSize)
  const totalSteps = batchesPerEpoch * settings.epochs
  const history: TrainingHistory = { initialValidationScore: undefined, bestValidationScore: undefined, bestStep: 0, steps: [], parameters: {}, usage: meter.total() }

  try {
    module.train()
    let best = await evaluate()
    let bestState = module.stateDict()
    history.initialValidationScore = best
    history.bestValidationScore = best
    settings.onProgress?.({ step: 0, totalSteps, epoch: 0, trainScore: undefined, validationScore: best, bestValidationScore: best, changed: [], rolledBack: false, usage: meter.total() })
    const random = seededRandom(settings.seed)
    let number = 0
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const order = settings.shuffle ? shuffled(settings.data, random) : settings.data
      for (let start = 0; start < order.length; start += settings.batchSize) {
        signal?.throwIfAborted()
        number++
        const before = meter.total()
        const batch = order.slice(start, start + settings.batchSize)
        // Also the model's parameters that the optimizer does not own: no feedback outlives its batch.
        optimizer.zeroFeedback()
        zeroFeedback(module)
        const settled = await pipeline.batch(batch.map(argsOf), batchOptions(true))
        const losses = settled.filter((item): item is Extract<Settled<LossValue>, { ok: true }> => item.ok).map((item) => item.value)
        if (losses.length === 0) {
          const first = settled.find((item) => !item.ok) as { error: unknown } | undefined
          throw new PlaitError(`Expected at least one example of batch ${number} to run; all ${settled.length} failed. The first error: ${first?.error instanceof Error ? first.error.message : String(first?.error)}`, { cause: first?.error })
        }
        await Promise.all(losses.map((value) => value.backward({ ...settings.backward, onNode: meter.onNode, ...(signal ? { signal } : {}) })))
        const changes = await optimizer.step({ onNode: meter.onNode, ...(signal ? { signal } : {}) })
        const validationScore = Object.keys(changes).length === 0 && best !== undefined ? best : await evaluate()
        let rolledBack = false
        if (validationScore !== undefined && best !== undefined && validationScore < best) {
          if (settings.rollback) {
            module.loadStateDict(bestState)
            optimizer.reject(changes)
            rolledBack = true
          }
        } else {
          // Not worse (or nothing to compare with): these are the parameters to keep.
          best = validationScore
          bestState = module.stateDict()
          if (Object.keys(changes).length > 0) history.bestStep = number
        }
        history.bestValidationScore = best
        const record: TrainingStepRecord = {
          epoch,
          step: number,
          trainScore: mean(losses.map((value) => value.score)),
          scores: losses.map((value) => value.score),
          failures: settled.length - losses.length,
          validationScore,
          changes,
          rolledBack,
          parameters: module.stateDict(),
          usage: meter.since(before),
        }
        history.steps.push(record)
        settings.onProgress?.({
          step: number,
          totalSteps,
          epoch,
          trainScore: record.trainScore,
          validationScore,
          bestValidationScore: best,
          changed: Object.keys(changes),
          rolledBack,
          usage: meter.total(),
        })
      }
    }
  } finally {
    optimizer.zeroFeedback()
    zeroFeedback(module)
    module.train(wasTraining)
  }
  history.parameters = module.stateDict()
  history.usage = meter.total()
  return history
}

/** The arguments of a TrainingStep for an example: the model's inputs, then the target. */
function argsOf(example: Example<unknown[], unknown>): unknown[] {
  const inputs = 'inputs' in example ? example.inputs : [(example as { input: unknown }).input]
  return [...inputs, example.target]
}

function checkOptions<In extends unknown[], Out, Target>(options: TrainOptions<In, Out, Target>) {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected train() options to be an object, got ${describe(options)}.`)
  const { model, loss, optimizer, epochs = 1, batchSize = 8, rollback = true, shuffle = false, seed = 0 } = options
  let module: Module<In, Out>
  let endpoints: Record<string, Endpoint> = {}
  if (model instanceof Module) module = model
  else if (typeof model === 'function' && (model as Partial<Pipeline<In, Out>>).module instanceof Module) {
    module = model.module
    endpoints = { ...model.endpoints }
  } else throw new TypeError(`Expected \`model\` to be a Module or a pipeline (\`module.bind(...)\`), got ${describe(model)}.`)
  if (options.endpoints !== undefined) {
    if (options.endpoints === null || typeof options.endpoints !== 'object') throw new TypeError(`Expected \`endpoints\` to be an object of endpoints by alias, got ${describe(options.endpoints)}.`)
    endpoints = { ...endpoints, ...options.endpoints }
  }
  if (!(loss instanceof Loss)) throw new TypeError(`Expected \`loss\` to be a Loss (VerifierLoss, JudgeLoss, ...), got ${describe(loss)}.`)
  if (!(optimizer instanceof Optimizer)) throw new TypeError(`Expected \`optimizer\` to be an Optimizer (SFAOptimizer, TextualGradientDescent), got ${describe(optimizer)}.`)
  const data = examples(options.data, 'data')
  if (data.length === 0) throw new TypeError('Expected `data` to hold at least one example like `{ input, target }`.')
  const validation = options.validation === undefined ? [] : examples(options.validation, 'validation')
  if (!Number.isInteger(epochs) || epochs < 1) throw new TypeError(`Expected \`epochs\` to be a positive integer, got ${describe(epochs)}.`)
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError(`Expected \`batchSize\` to be a positive integer, got ${describe(batchSize)}.`)
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new TypeError(`Expected \`concurrency\` to be a positive integer, got ${describe(options.concurrency)}.`)
  }
  if (typeof rollback !== 'boolean') throw new TypeError(`Expected \`rollback\` to be a boolean, got ${describe(rollback)}.`)
  if (typeof shuffle !== 'boolean') throw new TypeError(`Expected \`shuffle\` to be a boolean, got ${describe(shuffle)}.`)
  if (!Number.isFinite(seed)) throw new TypeError(`Expected \`seed\` to be a finite number, got ${describe(seed)}.`)
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new TypeError(`Expected \`onProgress\` to be a function, got ${describe(options.onProgress)}.`)
  const owned = new Set(optimizer.parameters.map(([, parameter]) => parameter))
  if (![...module.parameters()].some((parameter) => owned.has(parameter))) {
    throw new PlaitError(`Expected the optimizer to own parameters of the model (${module.constructor.name}); it owns none of them. Create it from the model: \`new SFAOptimizer(model)\`.`)
  }
  return {
    module,
    loss,
    optimizer,
    data,
    validation,
    endpoints,
    epochs,
    batchSize,
    rollback,
    shuffle,
    seed,
    concurrency: options.concurrency,
    backward: options.backward ?? {},
    pricing: options.pricing,
    onProgress: options.onProgress,
    signal: options.signal,
  }
}

function examples(list: unknown, name: string): Array<Example<unknown[], unknown>> {
  if (list === null || typeof list !== 'object' || typeof (list as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be an array of examples like \`{ input, target }\`, got ${describe(list)}.`)
  }
  return [...(list as Iterable<unknown>)].map((example, index) => {
    const ok = example !== null && typeof example === 'object' && ('input' in example || ('inputs' in example && Array.isArray((example as { inputs: unknown }).inputs)))
    if (!ok) throw new TypeError(`Expected \`${name}[${index}]\` to be \`{ input, target }\` (or \`{ inputs: [...], target }\`), got ${describe(example)}.`)
    return example as Example<unknown[], unknown>
  })
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1))
    ;[copy[index], copy[other]] = [copy[other]!, copy[index]!]
  }
  return copy
}
