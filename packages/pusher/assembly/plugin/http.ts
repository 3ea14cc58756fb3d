// One observed HTTP stream. At request headers it picks its configuration (Higress rule, else
// the default; none: not recorded) and keeps `path` and `authority` as the client sent them
// (ai-proxy and route rewrites change them later in the chain). It scans bodies as they pass
// (never holding them, except the opt-in capture up to max_body_bytes), builds the record at
// on_log, when the stream is complete (ai_log, consumer and the response are known), and hands
// it to its collector's sender. Always returns Continue: the request is never held.
import { HttpContext, RootContext } from "../abi/context";
import { Action, BufferType, MapType } from "../abi/types";
import {
  HeaderPair, getHeaderKey, getHeaderPairs, getHeaderValues, getPropertyIntAt, getPropertyStringAt, headerKey,
  nowMillis, propertyPath, readBufferBytes, releaseBytes, returnedPtr,
} from "../abi/api";
import * as F from "./fields.generated";
import { PluginConfig } from "./config";
import { Pipeline, Target } from "./pipeline";
import { MatchInput } from "./rules";
import { CLUSTER_NAME, ROUTE_NAME } from "./xds";
import { LogRecord } from "./record";
import { ByteWriter } from "./writer";
import { JsonScanner, SseScanner, RequestScan, ResponseScan } from "./scan";
import { readAiLog } from "./ailog";
import {
  apiFromRoute, formatRfc3339Millis, modelFromGeminiPath, pathOnly, pathUnder, random01, responseFlagsToString, serviceFromCluster,
} from "./util";

const CHUNK: u32 = 65536;

// Header names and property paths, encoded once per VM rather than on every lookup.
const H_PATH = headerKey(":path");
const H_AUTHORITY = headerKey(":authority");
const H_HOST = headerKey("host");
const H_METHOD = headerKey(":method");
const H_STATUS = headerKey(":status");
const H_CONTENT_TYPE = headerKey("content-type");
const H_TRACE_ID = headerKey("x-b3-traceid");
const H_REQUEST_ID = headerKey("x-request-id");
const H_USER_AGENT = headerKey("user-agent");
const H_FORWARDED_FOR = headerKey("x-forwarded-for");
const H_UPSTREAM_SERVICE_TIME = headerKey("x-envoy-upstream-service-time");
const H_CONSUMER = headerKey("x-mse-consumer");
const H_MCP_SERVER = headerKey("x-envoy-mcp-server-name");
const H_MCP_TOOL = headerKey("x-envoy-mcp-tool-name");
// The request headers read in one go at request headers, before later filters rewrite them.
const START_HEADERS: StaticArray<ArrayBuffer> = [H_PATH, H_AUTHORITY, H_HOST, H_CONTENT_TYPE];
const S_PATH = 0, S_AUTHORITY = 1, S_HOST = 2, S_CONTENT_TYPE = 3;
// The request headers read in one go at on_log (indexes below).
const LOG_HEADERS: StaticArray<ArrayBuffer> = [
  H_TRACE_ID, H_METHOD, H_REQUEST_ID, H_USER_AGENT, H_FORWARDED_FOR, H_CONSUMER, H_MCP_SERVER, H_MCP_TOOL,
];
const L_TRACE_ID = 0, L_METHOD = 1, L_REQUEST_ID = 2, L_USER_AGENT = 3, L_FORWARDED_FOR = 4,
  L_CONSUMER = 5, L_MCP_SERVER = 6, L_MCP_TOOL = 7;
const P_RESPONSE_CODE = propertyPath(["response", "code"]);
const P_RESPONSE_FLAGS = propertyPath(["response", "flags"]);
const P_RESPONSE_CODE_DETAILS = propertyPath(["response", "code_details"]);
const P_REQUEST_PROTOCOL = propertyPath(["request", "protocol"]);
const P_REQUEST_TOTAL_SIZE = propertyPath(["request", "total_size"]);
const P_RESPONSE_TOTAL_SIZE = propertyPath(["response", "total_size"]);
const P_UPSTREAM_ADDRESS = propertyPath(["upstream", "address"]);
const P_UPSTREAM_FAILURE_REASON = propertyPath(["upstream", "transport_failure_reason"]);
const P_UPSTREAM_LOCAL_ADDRESS = propertyPath(["upstream", "local_address"]);
const P_DESTINATION_ADDRESS = propertyPath(["destination", "address"]);
const P_SOURCE_ADDRESS = propertyPath(["source", "address"]);
const P_REQUESTED_SERVER_NAME = propertyPath(["connection", "requested_server_name"]);
const P_MCP_SERVER_NAME = propertyPath(["mcp_server_name"]);
const P_MCP_TOOL_NAME = propertyPath(["mcp_tool_name"]);

// Placeholder configuration of a stream not (yet) recorded.
const UNSET = new PluginConfig();

export class PusherHttp extends HttpContext {
  private startMs: i64;
  private active: bool = false;
  /** Whether the configuration was chosen (at request headers, else at on_log). */
  private chosen: bool = false;
  private target: Target | null = null;
  private cfg: PluginConfig = UNSET; // the target's, once chosen
  private path: string | null = null;
  /** What the request was matched on, kept when a consumer rule must be settled at on_log. */
  private matchInput: MatchInput | null = null;
  private authority: string | null = null;
  private reqScan: RequestScan | null = null;
  private reqJson: JsonScanner | null = null;
  private respScan: ResponseScan | null = null;
  private respJson: JsonScanner | null = null;
  private respSse: SseScanner | null = null;
  private reqBody: ByteWriter | null = null;
  private respBody: ByteWriter | null = null;
  private reqBytes: i64 = 0;
  private respBytes: i64 = 0;
  /** When the first response body byte of a stream (SSE) and the end of the response passed; -1: not yet. */
  private firstTokenMs: i64 = -1;
  private responseEndMs: i64 = -1;

  constructor(contextId: u32, root: RootContext, public pipeline: Pipeline) {
    super(contextId, root);
    this.startMs = nowMillis();
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): u32 {
    this.choose(endOfStream);
    return Action.Continue;
  }

  /**
   * Picks the configuration and keeps path and authority. Envoy runs on_log even for a stream
   * whose request headers never reached this plugin (a local reply earlier in the chain): then
   * this runs at on_log, with nothing to scan.
   */
  private choose(endOfStream: bool): void {
    this.chosen = true;
    const hs = getHeaderValues(MapType.HttpRequestHeaders, START_HEADERS);
    this.path = hs[S_PATH];
    let authority = hs[S_AUTHORITY];
    if (authority === null) authority = hs[S_HOST];
    this.authority = authority;
    const p = this.pipeline;
    let t = p.global;
    if (p.rules.length > 0) {
      const route = ROUTE_NAME.get();
      const cluster = CLUSTER_NAME.get();
      const m = new MatchInput(authority === null ? "" : authority, route === null ? "" : route, cluster === null ? "" : cluster);
      // Auth plugins later in the chain set x-mse-consumer: consumer rules are settled at on_log.
      if (p.needsConsumer) this.matchInput = m;
      t = p.match(m);
    }
    if (t === null || !this.admits(t.config)) return;
    const c = t.config;
    this.target = t;
    this.cfg = c;
    this.active = true;
    if (!endOfStream) {
      const ct = hs[S_CONTENT_TYPE];
      if (ct === null || ct.toLowerCase().includes("json")) {
        const s = new RequestScan();
        this.reqScan = s;
        this.reqJson = new JsonScanner(s);
      }
      if (c.captureBody && c.maxBodyBytes > 0) this.reqBody = new ByteWriter(1024);
    }
  }

  /** Whether a configuration records this request: sampling, then skip_paths. */
  private admits(c: PluginConfig): bool {
    if (c.sampleRate < 1.0 && random01() >= c.sampleRate) return false;
    if (c.skipPaths.length > 0) {
      const path = this.path === null ? "" : pathOnly(this.path!);
      for (let i = 0; i < c.skipPaths.length; i++) {
        if (pathUnder(path, c.skipPaths[i])) return false;
      }
    }
    return true;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): u32 {
    if (this.active) this.consume(BufferType.HttpRequestBody, bodySize, true);
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): u32 {
    if (!this.active || endOfStream) return Action.Continue;
    const ct = getHeaderKey(MapType.HttpResponseHeaders, H_CONTENT_TYPE);
    const type = ct === null ? "" : ct.toLowerCase();
    if (type.includes("event-stream") || type.includes("json")) {
      const s = new ResponseScan();
      const j = new JsonScanner(s);
      this.respScan = s;
      this.respJson = j;
      if (type.includes("event-stream")) this.respSse = new SseScanner(j);
    }
    if (this.cfg.captureBody && this.cfg.maxBodyBytes > 0) this.respBody = new ByteWriter(1024);
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): u32 {
    if (!this.active) return Action.Continue;
    if (this.respSse !== null && this.firstTokenMs < 0 && bodySize > 0) this.firstTokenMs = nowMillis();
    if (endOfStream && this.responseEndMs < 0) this.responseEndMs = nowMillis();
    this.consume(BufferType.HttpResponseBody, bodySize, false);
    return Action.Continue;
  }

  /** Streams one body chunk through the scanner and the bounded capture, 64 KiB at a time. */
  private consume(bufferType: u32, size: u32, request: bool): void {
    if (request) this.reqBytes += size; else this.respBytes += size;
    const capture = request ? this.reqBody : this.respBody;
    const wantCapture = capture !== null && capture.len < this.cfg.maxBodyBytes;
    const wantScan = request ? this.reqJson !== null : this.respJson !== null;
    if (!wantCapture && !wantScan) return;
    for (let start: u32 = 0; start < size; start += CHUNK) {
      const n = size - start < CHUNK ? size - start : CHUNK;
      // The chunk is read where the host put it, then freed: it is never copied.
      const len = readBufferBytes(bufferType, start, n);
      if (len < 0) return;
      const ptr = returnedPtr();
      if (capture !== null && capture.len < this.cfg.maxBodyBytes) {
        const room = this.cfg.maxBodyBytes - capture.len;
        capture.raw(ptr, len < room ? len : room);
      }
      if (request) {
        if (this.reqJson !== null) this.reqJson!.feed(ptr, len);
      } else if (this.respSse !== null) {
        this.respSse!.feed(ptr, len);
      } else if (this.respJson !== null) {
        this.respJson!.feed(ptr, len);
      }
      releaseBytes(ptr);
    }
  }

  onLog(): void {
    if (!this.chosen) this.choose(true);
    if (!this.active) return;
    const req = MapType.HttpRequestHeaders;
    const hs = getHeaderValues(req, LOG_HEADERS);
    if (this.matchInput !== null) {
      // The consumer is known now: the rule that applies may be another one, or none.
      const m = this.matchInput!;
      const consumer = hs[L_CONSUMER];
      m.consumer = consumer === null ? "" : consumer;
      m.consumerKnown = true;
      const t = this.pipeline.match(m);
      if (t === null) return;
      if (t !== this.target) {
        if (!this.admits(t.config)) return;
        this.target = t;
        this.cfg = t.config;
      }
    }
    const c = this.cfg;
    let code = getPropertyIntAt(P_RESPONSE_CODE, -1);
    if (code < 0) {
      const s = getHeaderKey(MapType.HttpResponseHeaders, H_STATUS);
      code = s === null ? 0 : <i64>I32.parseInt(s);
    }
    if (code < <i64>c.minResponseCode) return;

    const rec = new LogRecord();
    rec.str(F.F_START_TIME, formatRfc3339Millis(this.startMs));
    rec.str(F.F_TRACE_ID, hs[L_TRACE_ID]);
    rec.str(F.F_AUTHORITY, this.authority);
    rec.str(F.F_METHOD, hs[L_METHOD]);
    const path = this.path;
    rec.str(F.F_PATH, path);
    rec.str(F.F_PROTOCOL, getPropertyStringAt(P_REQUEST_PROTOCOL));
    rec.str(F.F_REQUEST_ID, hs[L_REQUEST_ID]);
    rec.str(F.F_USER_AGENT, hs[L_USER_AGENT]);
    rec.str(F.F_X_FORWARDED_FOR, hs[L_FORWARDED_FOR]);
    rec.int(F.F_RESPONSE_CODE, code);
    rec.str(F.F_RESPONSE_FLAGS, responseFlagsToString(<u64>getPropertyIntAt(P_RESPONSE_FLAGS, 0)));
    rec.str(F.F_RESPONSE_CODE_DETAILS, getPropertyStringAt(P_RESPONSE_CODE_DETAILS));
    rec.int(F.F_BYTES_RECEIVED, getPropertyIntAt(P_REQUEST_TOTAL_SIZE, this.reqBytes));
    rec.int(F.F_BYTES_SENT, getPropertyIntAt(P_RESPONSE_TOTAL_SIZE, this.respBytes));
    const now = nowMillis();
    rec.int(F.F_DURATION, now > this.startMs ? now - this.startMs : 0);
    const cluster = CLUSTER_NAME.get();
    rec.str(F.F_UPSTREAM_CLUSTER, cluster);
    rec.str(F.F_UPSTREAM_HOST, getPropertyStringAt(P_UPSTREAM_ADDRESS));
    rec.str(F.F_UPSTREAM_SERVICE_TIME, getHeaderKey(MapType.HttpResponseHeaders, H_UPSTREAM_SERVICE_TIME));
    rec.str(F.F_UPSTREAM_TRANSPORT_FAILURE_REASON, getPropertyStringAt(P_UPSTREAM_FAILURE_REASON));
    rec.str(F.F_UPSTREAM_LOCAL_ADDRESS, getPropertyStringAt(P_UPSTREAM_LOCAL_ADDRESS));
    // Envoy names the downstream connection's addresses destination.* (local) and source.* (remote).
    rec.str(F.F_DOWNSTREAM_LOCAL_ADDRESS, getPropertyStringAt(P_DESTINATION_ADDRESS));
    rec.str(F.F_DOWNSTREAM_REMOTE_ADDRESS, getPropertyStringAt(P_SOURCE_ADDRESS));
    const route = ROUTE_NAME.get();
    rec.str(F.F_ROUTE_NAME, route);
    rec.str(F.F_ROUTE, route);
    rec.str(F.F_REQUESTED_SERVER_NAME, getPropertyStringAt(P_REQUESTED_SERVER_NAME));
    rec.str(F.F_INSTANCE_ID, this.pipeline.instance.id());
    rec.str(F.F_CONSUMER, hs[L_CONSUMER]);
    if (cluster !== null) rec.str(F.F_SERVICE, serviceFromCluster(cluster));

    // MCP: Higress's MCP headers and properties, else a JSON-RPC tools/call body.
    let mcpServer = hs[L_MCP_SERVER];
    if (mcpServer === null) mcpServer = getPropertyStringAt(P_MCP_SERVER_NAME);
    rec.str(F.F_MCP_SERVER, mcpServer);
    let mcpTool = hs[L_MCP_TOOL];
    if (mcpTool === null) mcpTool = getPropertyStringAt(P_MCP_TOOL_NAME);
    if (mcpTool === null && this.reqScan !== null) mcpTool = this.reqScan!.tool();
    rec.str(F.F_MCP_TOOL, mcpTool);

    this.aiFields(rec, route, path, now);

    if (c.captureHeaders) {
      rec.json(F.F_REQ_HEADERS, this.headersJson(getHeaderPairs(req)));
      rec.json(F.F_RESP_HEADERS, this.headersJson(getHeaderPairs(MapType.HttpResponseHeaders)));
    }
    if (this.reqBody !== null && this.reqBody!.len > 0) rec.str(F.F_REQ_BODY, this.reqBody!.toString());
    if (this.respBody !== null && this.respBody!.len > 0) rec.str(F.F_RESP_BODY, this.respBody!.toString());

    const w = new ByteWriter(2048);
    rec.write(w);
    this.target!.sender.enqueue(w.toBuffer(), this.contextId);
  }

  /**
   * The AI fields: ai-statistics' ai_log first, then the response's own usage, then the request.
   * Token counts and their details come as one set, from ai_log when it has any count, else from
   * the response; times, response type and session each from ai_log, else as seen here.
   */
  private aiFields(rec: LogRecord, route: string | null, path: string | null, now: i64): void {
    let model = "";
    let api = route === null ? "" : apiFromRoute(route);
    let input: i64 = -1;
    let output: i64 = -1;
    let total: i64 = -1;
    let cached: i64 = -1;
    let cacheWrite: i64 = -1;
    let reasoning: i64 = -1;
    let firstToken: i64 = -1;
    let service: i64 = -1;
    let responseType = "";
    let session = "";
    const ai = readAiLog();
    if (ai !== null) {
      rec.json(F.F_AI_LOG, ai.text);
      model = ai.model;
      if (api.length == 0) api = ai.api;
      input = ai.input;
      output = ai.output;
      total = ai.total;
      cached = ai.cached;
      cacheWrite = ai.cacheWrite;
      reasoning = ai.reasoning;
      firstToken = ai.firstToken;
      service = ai.service;
      responseType = ai.responseType;
      session = ai.sessionId;
    }
    const rs = this.respScan;
    if (rs !== null) {
      if (model.length == 0) model = rs.model;
      if (input < 0 && output < 0 && total < 0) {
        input = rs.inputTokens();
        output = rs.outputTokens();
        total = rs.totalTokens();
        cached = rs.cachedTokens();
        cacheWrite = rs.cacheWrite;
        reasoning = rs.reasoningTokens();
      }
      // An LLM's answer (a model or usage in it): its timing as seen here.
      if (ai !== null || rs.model.length > 0 || rs.hasTokens()) {
        const stream = this.respSse !== null;
        if (responseType.length == 0) responseType = stream ? "stream" : "normal";
        if (firstToken < 0 && stream && this.firstTokenMs >= 0) firstToken = this.firstTokenMs - this.startMs;
        if (service < 0) service = (this.responseEndMs >= 0 ? this.responseEndMs : now) - this.startMs;
      }
    }
    if (total < 0 && (input >= 0 || output >= 0)) total = (input < 0 ? 0 : input) + (output < 0 ? 0 : output);
    if (model.length == 0 && this.reqScan !== null) model = this.reqScan!.model;
    if (model.length == 0 && path !== null) model = modelFromGeminiPath(path);
    rec.str(F.F_API, api);
    rec.str(F.F_MODEL, model);
    if (input >= 0) rec.int(F.F_INPUT_TOKENS, input);
    if (output >= 0) rec.int(F.F_OUTPUT_TOKENS, output);
    if (total >= 0) rec.int(F.F_TOTAL_TOKENS, total);
    if (cached >= 0) rec.int(F.F_CACHED_TOKENS, cached);
    if (cacheWrite >= 0) rec.int(F.F_CACHE_WRITE_TOKENS, cacheWrite);
    if (reasoning >= 0) rec.int(F.F_REASONING_TOKENS, reasoning);
    if (firstToken >= 0) rec.int(F.F_LLM_FIRST_TOKEN_DURATION, firstToken);
    if (service >= 0) rec.int(F.F_LLM_SERVICE_DURATION, service);
    rec.str(F.F_RESPONSE_TYPE, responseType);
    rec.str(F.F_SESSION_ID, session);
  }

  /** A JSON object of the headers, secrets redacted, repeated names joined with ",". */
  private headersJson(pairs: HeaderPair[]): string {
    const names = new Array<string>();
    const values = new Array<string>();
    for (let i = 0; i < pairs.length; i++) {
      const k = pairs[i].key.toLowerCase();
      const v = this.cfg.redactHeaders.includes(k) ? "[REDACTED]" : pairs[i].value;
      const at = names.indexOf(k);
      if (at >= 0) values[at] = values[at] + "," + v;
      else { names.push(k); values.push(v); }
    }
    const w = new ByteWriter(512);
    w.byte(0x7b);
    for (let i = 0; i < names.length; i++) {
      if (i > 0) w.byte(0x2c);
      w.jsonString(names[i]);
      w.byte(0x3a);
      w.jsonString(values[i]);
    }
    w.byte(0x7d);
    return w.toString();
  }
}
