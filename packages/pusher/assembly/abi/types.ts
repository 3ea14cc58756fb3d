// Enumerations of the proxy-wasm ABI 0.2.1 (proxy-wasm/spec abi-versions/v0.2.1).

export namespace Status {
  export const Ok: u32 = 0;
  export const NotFound: u32 = 1;
  export const BadArgument: u32 = 2;
  export const SerializationFailure: u32 = 3;
  export const ParseFailure: u32 = 4;
  export const InvalidMemoryAccess: u32 = 6;
  export const Empty: u32 = 7;
  export const CasMismatch: u32 = 8;
  export const InternalFailure: u32 = 10;
  export const Unimplemented: u32 = 12;
}

export namespace LogLevel {
  export const Trace: u32 = 0;
  export const Debug: u32 = 1;
  export const Info: u32 = 2;
  export const Warn: u32 = 3;
  export const Error: u32 = 4;
  export const Critical: u32 = 5;
}

export namespace Action {
  export const Continue: u32 = 0;
  export const Pause: u32 = 1;
}

export namespace BufferType {
  export const HttpRequestBody: u32 = 0;
  export const HttpResponseBody: u32 = 1;
  export const DownstreamData: u32 = 2;
  export const UpstreamData: u32 = 3;
  export const HttpCallResponseBody: u32 = 4;
  export const GrpcReceiveBuffer: u32 = 5;
  export const VmConfiguration: u32 = 6;
  export const PluginConfiguration: u32 = 7;
}

export namespace MapType {
  export const HttpRequestHeaders: u32 = 0;
  export const HttpRequestTrailers: u32 = 1;
  export const HttpResponseHeaders: u32 = 2;
  export const HttpResponseTrailers: u32 = 3;
  export const HttpCallResponseHeaders: u32 = 6;
  export const HttpCallResponseTrailers: u32 = 7;
}

export namespace MetricType {
  export const Counter: u32 = 0;
  export const Gauge: u32 = 1;
  export const Histogram: u32 = 2;
}
