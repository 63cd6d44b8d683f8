/**
 * `planwright/testing`: test your own agents offline against a scripted OpenAI-compatible model.
 */
export {
  startScriptedModel,
  type ScriptedModel,
  type Script,
  type ScriptEntry,
  type ScriptedReply,
  type RecordedRequest,
} from './scripted-model.js';
