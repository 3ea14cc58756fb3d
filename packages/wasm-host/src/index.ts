export * from './abi.js';
export { type Clock, ManualClock, RealClock, type Timer } from './clock.js';
export { HeaderMap, type HeaderPairs, type HeadersInit, serializePairs, deserializePairs } from './header-map.js';
export { type HttpCallReply } from './http-call.js';
export { type HostOptions, type RunStreamOptions, type StreamResult, type MessageSeen, type BodyInput, WasmHost } from './host.js';
export { type HttpCallRecord, type LogEntry, type MetricSnapshot, type PluginOptions, PluginLoadError, PluginVm } from './plugin.js';
export { encodeProperty, encodeTyped, KNOWN_PROPERTY_TYPES, type PropertyInput, type PropertyType, type TypedValue } from './properties.js';
export { type ActionRecord, HttpStream, type LocalReplyRecord, type StreamSinks } from './stream.js';
