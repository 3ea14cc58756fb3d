import type { StatsFilter, StatsResult } from './compute.js';
import type { StatsOptions } from './params.js';
import type { UsageSql } from './usage.js';

/** One /stats computation sent to the worker (dates as epoch ms: they cross a thread). */
export interface WorkerRequest {
  id: number;
  filter: StatsFilter;
  options: StatsOptions;
  range: { start: number | null; end: number | null };
  usage?: UsageSql;
}

export type WorkerReply =
  | { id: number; result: StatsResult }
  | { id: number; paramError: { params: string[]; message: string } }
  | { id: number; error: string };
