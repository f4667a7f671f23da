// A base class in its own file: the classes that extend it are compiled with its fields.
import { LLMInference, Module } from 'plait'

export class Drafter extends Module<[string], string> {
  draft = new LLMInference({ alias: 'main', system: 'DRAFT' })

  forward(text: string): string {
    return this.draft(text)
  }
}
