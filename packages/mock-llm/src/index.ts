export { startMockLlm, type MockLlm, type MockLlmOptions } from './server.js';
export { predictUsage, countWords, requestText, answerWords, DEFAULT_OUTPUT_TOKENS, type Usage } from './usage.js';
