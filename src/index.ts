/**
 * plait: PyTorch for LLM pipelines. Write a `Module` with a plain, sync-looking `forward()`;
 * every LLM call in it starts as soon as its inputs exist.
 *
 * @example
 * ```ts
 * import { Module, LLMInference, Parameter } from 'plait'
 * import { simulated } from 'plait/endpoints'
 *
 * class ExtractAndCompare extends Module<[doc1: string, doc2: string], string> {
 *   style = new Parameter('Highlight key similarities and differences.', { description: 'Style of the comparison.' })
 *   extractor = new LLMInference({ alias: 'fast', system: 'Extract the main facts as a bulleted list.' })
 *   comparer = new LLMInference({ alias: 'smart', system: this.style })
 *   forward(doc1: string, doc2: string): string {
 *     const facts1 = this.extractor(doc1)
 *     const facts2 = this.extractor(doc2)
 *     return this.comparer(`Compare:\n${facts1}\n\nvs:\n${facts2}`)
 *   }
 * }
 * const pipeline = new ExtractAndCompare().bind({ endpoints: { fast: simulated(), smart: simulated() } })
 * console.log(await pipeline('doc one', 'doc two'))
 * ```
 */
export { Module } from './module.js'
export { Parameter, type ParameterOptions } from './parameter.js'
export { LLMInference, OutputValidationError, type LLMInferenceOptions, type LLMInput } from './inference.js'
export { Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict } from './containers.js'
export type { Pipeline, BindOptions, RunOptions, BatchOptions, StreamOptions, Settled, Recorded } from './pipeline.js'
export { PlaitError, NodeError, TraceError } from '../runtime/errors.js'
export { EndpointError, RetriesExhaustedError, type ChatMessage, type Endpoint } from '../runtime/endpoint.js'
export type { Backend, CallOutcome } from '../runtime/backend.js'
export type { NodeRecord } from '../runtime/run.js'
export { compilationOf, type Compilation } from '../runtime/compilation.js'
export { tapeOf, type Tape, type TapeNode } from '../runtime/tape.js'
export * from './graph/index.js'
export {
  memoryStore,
  fileStore,
  sqliteStore,
  memoKey,
  memoBackend,
  type MemoStore,
  type MemoEntry,
  type MemoryStore,
  type FileStore,
  type FileStoreOptions,
  type SqliteStore,
  type SqliteStoreOptions,
  type FsyncPolicy,
  type MemoKeyParts,
  type MemoBackendOptions,
} from '../runtime/memo/index.js'
export {
  Ledger,
  BudgetExceededError,
  ledgerBackend,
  type Budget,
  type BudgetScope,
  type BudgetCheck,
  type LedgerEntry,
  type LedgerOptions,
  type LedgerBackendOptions,
  type Price,
  type Prices,
  type RunSpend,
  type Spend,
} from '../runtime/ledger/index.js'
export type { Progress, ProgressBarOption, ProgressBarStream } from '../runtime/progress.js'
// Learning: feedback, losses, backward passes, optimizers and the training loop (docs/learning.md).
export {
  toFeedback, combineFeedback, feedbackOf, zeroFeedback, formatFeedbackItem,
  type Feedback, type FeedbackInit, type ParameterFeedback,
  LossValue, Loss, VerifierLoss, JudgeLoss, JUDGE_SYSTEM, PreferenceLoss, RankingLoss, COMPARE_SYSTEM,
  HumanFeedbackLoss, CompositeLoss, TrainingStep,
  type LossResult, type LossPart, type LossBackwardOptions, type LossContext, type Verdict,
  type JudgeLossOptions, type RubricLevel, type ComparisonLossOptions, type WeightedLoss,
  backward,
  type BackwardOptions, type TapeBackwardOptions, type BackwardReport, type BackwardContext,
  type BackwardResult, type CustomBackward,
  Prompter, Optimizer, SFAOptimizer, TextualGradientDescent,
  type PromptOptions, type ParametersInput, type ParameterChange, type StepChanges, type StepPlan,
  type StepOptions, type PendingUpdate, type SFAOptions, type TGDOptions,
  train, UsageMeter, saveParameters, loadParameters,
  type TrainOptions, type TrainingHistory, type TrainingStepRecord, type TrainingProgress, type Example,
  type UsageSummary, type AliasUsage, type Pricing,
} from './learning/index.js'
export { pfilter, pfind, pmap, psome, pevery, psortBy } from './async-helpers.js'
export {
  combineObservers,
  createTraceRecorder,
  createOtelObserver,
  type RunObserver,
  type RunStartInfo,
  type RunEndInfo,
  type TraceRecorder,
  type ChromeTrace,
  type TraceSummary,
  type OtelObserver,
  type OtelObserverOptions,
} from '../runtime/observe/index.js'
