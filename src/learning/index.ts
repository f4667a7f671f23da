/**
 * Learning: losses, backward passes, optimizers and the training loop, as in PyTorch:
 * `forward -> loss -> loss.backward() -> optimizer.step()`.
 *
 * @example
 * ```ts
 * import { SFAOptimizer, TrainingStep, VerifierLoss } from 'plait'
 * model.train()
 * const step = new TrainingStep(model, new VerifierLoss(check)).bind({ endpoints })
 * const optimizer = new SFAOptimizer(model).bind({ endpoints: { optimizer: simulated() } })
 * optimizer.zeroFeedback()
 * const loss = await step(input, target)
 * await loss.backward()
 * const changes = await optimizer.step()
 * ```
 */
export { toFeedback, combineFeedback, type Feedback, type FeedbackInit } from './feedback.js'
export { feedbackOf, zeroFeedback, formatFeedbackItem, type ParameterFeedback } from './parameter-feedback.js'
export { LossValue, type LossResult, type LossPart, type LossBackwardOptions } from './loss-value.js'
export { Loss, type LossContext } from './losses/loss.js'
export { VerifierLoss, type Verdict } from './losses/verifier.js'
export { JudgeLoss, JUDGE_SYSTEM, type JudgeLossOptions, type RubricLevel } from './losses/judge.js'
export { PreferenceLoss } from './losses/preference.js'
export { RankingLoss } from './losses/ranking.js'
export { COMPARE_SYSTEM, type ComparisonLossOptions } from './losses/comparison.js'
export { HumanFeedbackLoss } from './losses/human.js'
export { CompositeLoss, type WeightedLoss } from './losses/composite.js'
export { TrainingStep } from './training-step.js'
export {
  backward,
  type BackwardOptions,
  type TapeBackwardOptions,
  type BackwardReport,
  type BackwardContext,
  type BackwardResult,
  type CustomBackward,
} from './backward.js'
export { Prompter, type PromptOptions } from './prompter.js'
export {
  Optimizer,
  type ParametersInput,
  type ParameterChange,
  type StepChanges,
  type StepPlan,
  type StepOptions,
  type PendingUpdate,
} from './optimizers/optimizer.js'
export { SFAOptimizer, type SFAOptions } from './optimizers/sfa.js'
export { TextualGradientDescent, type TGDOptions } from './optimizers/tgd.js'
export { train, type TrainOptions, type TrainingHistory, type TrainingStepRecord, type TrainingProgress, type Example } from './train.js'
export { UsageMeter, type UsageSummary, type AliasUsage, type Pricing } from './usage.js'
export { saveParameters, loadParameters } from './state.js'
