import type { PriceFile } from './prices.js';

/**
 * The built-in price table (USD per 1M tokens), used when PRICES_FILE is not set; a file replaces
 * it whole. Prices are the providers' published list prices as of PRICES_TAKEN, standard tier
 * (Gemini: prompts up to 200k tokens; Anthropic: 5-minute cache writes). Prices change: set
 * PRICES_FILE for what you pay, and `log-collector recompute-cost` after a correction.
 * Qwen and other models priced in other currencies are left out (a table has one currency).
 */
export const PRICES_TAKEN = '2025-08-15';

export const BUILTIN_PRICES: PriceFile = {
  currency: 'USD',
  models: {
    // OpenAI
    'gpt-4o*': { input: 2.5, output: 10, cached_input: 1.25 },
    'gpt-4o-mini*': { input: 0.15, output: 0.6, cached_input: 0.075 },
    'gpt-4.1*': { input: 2, output: 8, cached_input: 0.5 },
    'gpt-4.1-mini*': { input: 0.4, output: 1.6, cached_input: 0.1 },
    'gpt-4.1-nano*': { input: 0.1, output: 0.4, cached_input: 0.025 },
    'gpt-5*': { input: 1.25, output: 10, cached_input: 0.125 },
    'gpt-5-mini*': { input: 0.25, output: 2, cached_input: 0.025 },
    'gpt-5-nano*': { input: 0.05, output: 0.4, cached_input: 0.005 },
    'gpt-4-turbo*': { input: 10, output: 30 },
    'gpt-3.5-turbo*': { input: 0.5, output: 1.5 },
    'o1*': { input: 15, output: 60, cached_input: 7.5 },
    'o1-mini*': { input: 1.1, output: 4.4, cached_input: 0.55 },
    'o3*': { input: 2, output: 8, cached_input: 0.5 },
    'o3-mini*': { input: 1.1, output: 4.4, cached_input: 0.55 },
    'o4-mini*': { input: 1.1, output: 4.4, cached_input: 0.275 },
    'text-embedding-3-small': { input: 0.02, output: 0 },
    'text-embedding-3-large': { input: 0.13, output: 0 },
    // Anthropic
    'claude-3-5-sonnet*': { input: 3, output: 15, cached_input: 0.3, cache_write_input: 3.75 },
    'claude-3-7-sonnet*': { input: 3, output: 15, cached_input: 0.3, cache_write_input: 3.75 },
    'claude-sonnet-4*': { input: 3, output: 15, cached_input: 0.3, cache_write_input: 3.75 },
    'claude-3-5-haiku*': { input: 0.8, output: 4, cached_input: 0.08, cache_write_input: 1 },
    'claude-3-haiku*': { input: 0.25, output: 1.25, cached_input: 0.03, cache_write_input: 0.3 },
    'claude-3-opus*': { input: 15, output: 75, cached_input: 1.5, cache_write_input: 18.75 },
    'claude-opus-4': { input: 15, output: 75, cached_input: 1.5, cache_write_input: 18.75 },
    'claude-opus-4-0': { input: 15, output: 75, cached_input: 1.5, cache_write_input: 18.75 },
    'claude-opus-4-2025*': { input: 15, output: 75, cached_input: 1.5, cache_write_input: 18.75 },
    'claude-opus-4-1*': { input: 15, output: 75, cached_input: 1.5, cache_write_input: 18.75 },
    // Google
    'gemini-2.0-flash*': { input: 0.1, output: 0.4, cached_input: 0.025 },
    'gemini-2.0-flash-lite*': { input: 0.075, output: 0.3 },
    'gemini-2.5-pro*': { input: 1.25, output: 10 },
    'gemini-2.5-flash*': { input: 0.3, output: 2.5 },
    'gemini-2.5-flash-lite*': { input: 0.1, output: 0.4 },
  },
};
