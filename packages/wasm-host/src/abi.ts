// Numeric values of the proxy-wasm ABI (abi-versions/v0.2.1 of the proxy-wasm spec), shared by
// every ABI version this host loads.

export const Status = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  InternalFailure: 10,
  Unimplemented: 12,
} as const;

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 } as const;
export type LogLevelName = keyof typeof LogLevel;
export const LOG_LEVEL_NAMES: LogLevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcCallMessage: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  ForeignFunctionArguments: 8,
} as const;

export const MapType = {
  HttpRequestHeaders: 0,
  HttpRequestTrailers: 1,
  HttpResponseHeaders: 2,
  HttpResponseTrailers: 3,
  GrpcInitialMetadata: 4,
  GrpcTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;

export const StreamType = { HttpRequest: 0, HttpResponse: 1, Downstream: 2, Upstream: 3 } as const;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;

/**
 * Return values of the header callbacks as Envoy (proxy-wasm-cpp-host) reads them. ABI 0.2.x
 * names 0/1 Continue/Pause; the C++ SDK's richer values are accepted too.
 */
export const HeadersAction = {
  Continue: 0,
  StopIteration: 1,
  ContinueAndEndStream: 2,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;

export const DataAction = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
} as const;

export const WasiErrno = { Success: 0, Badf: 8, Fault: 21, Inval: 28, Nosys: 52, Notsup: 58 } as const;

export type AbiVersion = '0.1.0' | '0.2.0' | '0.2.1';

/** Envoy's StreamInfo::ResponseFlag bits, as `response.flags` carries them, with their log codes. */
export const RESPONSE_FLAGS = {
  LH: 0x1, // FailedLocalHealthCheck
  UH: 0x2, // NoHealthyUpstream
  UT: 0x4, // UpstreamRequestTimeout
  LR: 0x8, // LocalReset
  UR: 0x10, // UpstreamRemoteReset
  UF: 0x20, // UpstreamConnectionFailure
  UC: 0x40, // UpstreamConnectionTermination
  UO: 0x80, // UpstreamOverflow
  NR: 0x100, // NoRouteFound
  DI: 0x200, // DelayInjected
  FI: 0x400, // FaultInjected
  RL: 0x800, // RateLimited
  UAEX: 0x1000, // UnauthorizedExternalService
  RLSE: 0x2000, // RateLimitServiceError
  DC: 0x4000, // DownstreamConnectionTermination
  URX: 0x8000, // UpstreamRetryLimitExceeded
  SI: 0x10000, // StreamIdleTimeout
  IH: 0x20000, // InvalidEnvoyRequestHeaders
  DPE: 0x40000, // DownstreamProtocolError
  UMSDR: 0x80000, // UpstreamMaxStreamDurationReached
  RFCF: 0x100000, // ResponseFromCacheFilter
  NFCF: 0x200000, // NoFilterConfigFound
  DT: 0x400000, // DurationTimeout
  UPE: 0x800000, // UpstreamProtocolError
  NC: 0x1000000, // NoClusterFound
  OM: 0x2000000, // OverloadManager
} as const;
export type ResponseFlagCode = keyof typeof RESPONSE_FLAGS;

export function responseFlagsMask(codes: Iterable<ResponseFlagCode>): number {
  let m = 0;
  for (const c of codes) m |= RESPONSE_FLAGS[c];
  return m;
}
