// One observed HTTP stream: scans bodies as they pass (never holding them, except the opt-in
// capture up to max_body_bytes), builds the record at on_log, when the stream is complete, and
// hands it to the root context's sender. Always returns Continue: the request is never held.
import { HttpContext } from "../abi/context";
import { Action, BufferType, MapType } from "../abi/types";
import {
  HeaderPair, getBufferBytes, getHeader, getHeaderPairs, getPropertyInt, getPropertyString, nowMillis,
} from "../abi/api";
import * as F from "./fields.generated";
import { PluginConfig } from "./config";
import { LogRecord } from "./record";
import { ByteWriter } from "./writer";
import { JsonScanner, SseScanner, RequestScan, ResponseScan } from "./scan";
import { readAiLog } from "./ailog";
import {
  apiFromRoute, formatRfc3339Millis, modelFromGeminiPath, pathOnly, pathUnder, random01, responseFlagsToString, serviceFromCluster,
} from "./util";
import { PusherRoot } from "./root";

const CHUNK: u32 = 65536;

export class PusherHttp extends HttpContext {
  private startMs: i64;
  private active: bool = true;
  private cfg: PluginConfig;
  private reqScan: RequestScan | null = null;
  private reqJson: JsonScanner | null = null;
  private respScan: ResponseScan | null = null;
  private respJson: JsonScanner | null = null;
  private respSse: SseScanner | null = null;
  private reqBody: ByteWriter | null = null;
  private respBody: ByteWriter | null = null;
  private reqBytes: i64 = 0;
  private respBytes: i64 = 0;

  constructor(contextId: u32, public pusher: PusherRoot) {
    super(contextId, pusher);
    this.startMs = nowMillis();
    this.cfg = pusher.config!;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): u32 {
    if (this.cfg.rules.length > 0) this.cfg = this.ruleConfig(this.cfg);
    const c = this.cfg;
    if (c.sampleRate < 1.0 && random01() >= c.sampleRate) { this.active = false; return Action.Continue; }
    if (c.skipPaths.length > 0) {
      const p = getHeader(MapType.HttpRequestHeaders, ":path");
      const path = p === null ? "" : pathOnly(p);
      for (let i = 0; i < c.skipPaths.length; i++) {
        if (pathUnder(path, c.skipPaths[i])) { this.active = false; return Action.Continue; }
      }
    }
    if (!endOfStream) {
      const ct = getHeader(MapType.HttpRequestHeaders, "content-type");
      if (ct === null || ct.toLowerCase().includes("json")) {
        const s = new RequestScan();
        this.reqScan = s;
        this.reqJson = new JsonScanner(s);
      }
      if (c.captureBody && c.maxBodyBytes > 0) this.reqBody = new ByteWriter(1024);
    }
    return Action.Continue;
  }

  /** The configuration of the first Higress rule matching this request's route, domain or service. */
  private ruleConfig(base: PluginConfig): PluginConfig {
    const route = getPropertyString(["route_name"]);
    const authority = getHeader(MapType.HttpRequestHeaders, ":authority");
    const cluster = getPropertyString(["cluster_name"]);
    const service = cluster === null ? "" : serviceFromCluster(cluster);
    for (let i = 0; i < base.rules.length; i++) {
      const r = base.rules[i];
      if (r.matches(route === null ? "" : route, authority === null ? "" : authority, service)) return r.config;
    }
    return base;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): u32 {
    if (this.active) this.consume(BufferType.HttpRequestBody, bodySize, true);
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): u32 {
    if (!this.active || endOfStream) return Action.Continue;
    const ct = getHeader(MapType.HttpResponseHeaders, "content-type");
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
    if (this.active) this.consume(BufferType.HttpResponseBody, bodySize, false);
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
      const b = getBufferBytes(bufferType, start, n);
      if (b === null) return;
      const ptr = changetype<usize>(b);
      const len = b.byteLength;
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
    }
  }

  onLog(): void {
    if (!this.active) return;
    const c = this.cfg;
    let code = getPropertyInt(["response", "code"], -1);
    if (code < 0) {
      const s = getHeader(MapType.HttpResponseHeaders, ":status");
      code = s === null ? 0 : <i64>I32.parseInt(s);
    }
    if (code < <i64>c.minResponseCode) return;

    const rec = new LogRecord();
    const req = MapType.HttpRequestHeaders;
    rec.str(F.F_START_TIME, formatRfc3339Millis(this.startMs));
    rec.str(F.F_TRACE_ID, getHeader(req, "x-b3-traceid"));
    let authority = getHeader(req, ":authority");
    if (authority === null) authority = getHeader(req, "host");
    rec.str(F.F_AUTHORITY, authority);
    rec.str(F.F_METHOD, getHeader(req, ":method"));
    const path = getHeader(req, ":path");
    rec.str(F.F_PATH, path);
    rec.str(F.F_PROTOCOL, getPropertyString(["request", "protocol"]));
    rec.str(F.F_REQUEST_ID, getHeader(req, "x-request-id"));
    rec.str(F.F_USER_AGENT, getHeader(req, "user-agent"));
    rec.str(F.F_X_FORWARDED_FOR, getHeader(req, "x-forwarded-for"));
    rec.int(F.F_RESPONSE_CODE, code);
    rec.str(F.F_RESPONSE_FLAGS, responseFlagsToString(<u64>getPropertyInt(["response", "flags"], 0)));
    rec.str(F.F_RESPONSE_CODE_DETAILS, getPropertyString(["response", "code_details"]));
    rec.int(F.F_BYTES_RECEIVED, getPropertyInt(["request", "total_size"], this.reqBytes));
    rec.int(F.F_BYTES_SENT, getPropertyInt(["response", "total_size"], this.respBytes));
    const now = nowMillis();
    rec.int(F.F_DURATION, now > this.startMs ? now - this.startMs : 0);
    const cluster = getPropertyString(["cluster_name"]);
    rec.str(F.F_UPSTREAM_CLUSTER, cluster);
    rec.str(F.F_UPSTREAM_HOST, getPropertyString(["upstream", "address"]));
    rec.str(F.F_UPSTREAM_SERVICE_TIME, getHeader(MapType.HttpResponseHeaders, "x-envoy-upstream-service-time"));
    rec.str(F.F_UPSTREAM_TRANSPORT_FAILURE_REASON, getPropertyString(["upstream", "transport_failure_reason"]));
    rec.str(F.F_UPSTREAM_LOCAL_ADDRESS, getPropertyString(["upstream", "local_address"]));
    // Envoy names the downstream connection's addresses destination.* (local) and source.* (remote).
    rec.str(F.F_DOWNSTREAM_LOCAL_ADDRESS, getPropertyString(["destination", "address"]));
    rec.str(F.F_DOWNSTREAM_REMOTE_ADDRESS, getPropertyString(["source", "address"]));
    const route = getPropertyString(["route_name"]);
    rec.str(F.F_ROUTE_NAME, route);
    rec.str(F.F_ROUTE, route);
    rec.str(F.F_REQUESTED_SERVER_NAME, getPropertyString(["connection", "requested_server_name"]));
    let instance = getPropertyString(["node", "metadata", "POD_NAME"]);
    if (instance === null) instance = getPropertyString(["node", "id"]);
    rec.str(F.F_INSTANCE_ID, instance);
    rec.str(F.F_CONSUMER, getHeader(req, "x-mse-consumer"));
    if (cluster !== null) rec.str(F.F_SERVICE, serviceFromCluster(cluster));

    // MCP: Higress's MCP headers and properties, else a JSON-RPC tools/call body.
    let mcpServer = getHeader(req, "x-envoy-mcp-server-name");
    if (mcpServer === null) mcpServer = getPropertyString(["mcp_server_name"]);
    rec.str(F.F_MCP_SERVER, mcpServer);
    let mcpTool = getHeader(req, "x-envoy-mcp-tool-name");
    if (mcpTool === null) mcpTool = getPropertyString(["mcp_tool_name"]);
    if (mcpTool === null && this.reqScan !== null) mcpTool = this.reqScan!.tool();
    rec.str(F.F_MCP_TOOL, mcpTool);

    // AI: ai-statistics' ai_log first, then the response's own usage, then the request.
    let model = "";
    let api = route === null ? "" : apiFromRoute(route);
    let input: i64 = -1;
    let output: i64 = -1;
    let total: i64 = -1;
    const ai = readAiLog();
    if (ai !== null) {
      rec.json(F.F_AI_LOG, ai.text);
      model = ai.model;
      if (api.length == 0) api = ai.api;
      input = ai.input;
      output = ai.output;
      total = ai.total;
    }
    const rs = this.respScan;
    if (rs !== null) {
      if (model.length == 0) model = rs.model;
      if (input < 0 && output < 0 && total < 0) {
        input = rs.input;
        output = rs.output;
        total = rs.totalTokens();
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

    if (c.captureHeaders) {
      rec.json(F.F_REQ_HEADERS, this.headersJson(getHeaderPairs(req)));
      rec.json(F.F_RESP_HEADERS, this.headersJson(getHeaderPairs(MapType.HttpResponseHeaders)));
    }
    if (this.reqBody !== null && this.reqBody!.len > 0) rec.str(F.F_REQ_BODY, this.reqBody!.toString());
    if (this.respBody !== null && this.respBody!.len > 0) rec.str(F.F_RESP_BODY, this.respBody!.toString());

    const w = new ByteWriter(2048);
    rec.write(w);
    const sender = this.pusher.sender;
    if (sender !== null) sender.enqueue(w.toBuffer(), this.contextId);
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
