// Extends a class of another file: two drafts start at once, then a review of both.
import { LLMInference } from 'plait'
import { Drafter } from './base.js'

export class Reviewed extends Drafter {
  review = new LLMInference({ alias: 'main', system: 'REVIEW' })

  override forward(text: string): string {
    const first = this.draft(text)
    const second = this.draft(`${text}!`)
    return this.review(`${first} + ${second}`)
  }
}
