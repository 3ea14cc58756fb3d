import { crc32 } from 'node:zlib';

/**
 * Spool frame: `u32le payload length | u32le crc32(payload) | payload`. The payload is the JSON
 * text of one accepted request's rows, so a request is replayed whole or not at all.
 */
export const HEADER_BYTES = 8;
/** Frames past this are treated as corruption (a request body is bounded far below it). */
export const MAX_FRAME_BYTES = 512 * 1024 * 1024;

export function encodeFrame(payload: string): Buffer {
  const len = Buffer.byteLength(payload);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + len);
  buf.write(payload, HEADER_BYTES, 'utf8');
  buf.writeUInt32LE(len, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 4);
  return buf;
}

export type FrameRead =
  | { kind: 'frame'; payload: Buffer; size: number }
  /** Not enough bytes in `buf` for the whole frame; `need` is its full size when the header was readable. */
  | { kind: 'short'; need?: number }
  | { kind: 'corrupt'; reason: string };

/** Reads the frame that starts at `off` in `buf`. */
export function readFrame(buf: Buffer, off: number): FrameRead {
  if (buf.length - off < HEADER_BYTES) return { kind: 'short' };
  const len = buf.readUInt32LE(off);
  if (len > MAX_FRAME_BYTES) return { kind: 'corrupt', reason: `frame length ${len} out of bounds` };
  const size = HEADER_BYTES + len;
  if (buf.length - off < size) return { kind: 'short', need: size };
  const payload = buf.subarray(off + HEADER_BYTES, off + size);
  if (crc32(payload) !== buf.readUInt32LE(off + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  return { kind: 'frame', payload, size };
}
