import fs from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { SpoolPosition } from './types.js';

const SEGMENT_RE = /^segment-(\d{12})\.log$/;
const segName = (n: number) => `segment-${String(n).padStart(12, '0')}.log`;

export const O_DSYNC: number | undefined = fs.constants.O_DSYNC;

/**
 * The spool directory's numbered segment files and their sizes (the durable size for the
 * active one). Segments are created in ascending order and deleted from the front.
 */
export class Segments {
  /** Existing segments, ascending. */
  readonly list: number[];
  private readonly sizes = new Map<number, number>();

  constructor(
    readonly dir: string,
    existing: number[],
    private readonly log: Logger,
  ) {
    for (const s of existing) this.sizes.set(s, fs.statSync(this.path(s)).size);
    this.list = [...existing];
  }

  /** The segment numbers found in `dir`, ascending. */
  static existing(dir: string): number[] {
    return fs
      .readdirSync(dir)
      .map((n) => SEGMENT_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  path(n: number): string {
    return join(this.dir, segName(n));
  }

  get first(): number {
    return this.list[0];
  }

  has(n: number): boolean {
    return this.sizes.has(n);
  }

  size(n: number): number | undefined {
    return this.sizes.get(n);
  }

  setSize(n: number, bytes: number): void {
    this.sizes.set(n, bytes);
  }

  /** The first segment after `n`, if any. */
  after(n: number): number | undefined {
    return this.list.find((s) => s > n);
  }

  /** Creates segment `n` for appending; returns its descriptor. */
  create(n: number): number {
    // O_DSYNC: each write returns once its data (and the file size) is on stable storage.
    const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
    const fd = fs.openSync(this.path(n), O_WRONLY | O_CREAT | O_EXCL | (O_DSYNC ?? 0));
    fsyncDir(this.dir);
    this.list.push(n);
    this.sizes.set(n, 0);
    return fd;
  }

  /** Bytes from `pos` to the end of the data. */
  bytesFrom(pos: SpoolPosition): number {
    let total = 0;
    for (const s of this.list) if (s >= pos.segment) total += this.sizes.get(s) ?? 0;
    return total - (this.sizes.has(pos.segment) ? pos.offset : 0);
  }

  /** Deletes the segments before `segment` (always keeping the last); `onDelete` runs for each first. */
  deleteBefore(segment: number, onDelete: (s: number) => void): void {
    while (this.list.length > 1 && this.list[0] < segment) {
      const s = this.list.shift()!;
      this.sizes.delete(s);
      onDelete(s);
      try {
        fs.unlinkSync(this.path(s));
      } catch (e) {
        this.log.warn({ err: e, segment: s }, 'could not delete a committed spool segment');
      }
    }
  }
}

/** The spool's id, created (durably, before any record) on first use. */
export function spoolId(dir: string): string {
  const idPath = join(dir, 'spool-id');
  try {
    return fs.readFileSync(idPath, 'utf8').trim();
  } catch {
    // Durable before any record is: losing the id would replay the spool under a new name.
    const id = randomBytes(12).toString('hex');
    const fd = fs.openSync(idPath + '.tmp', 'w');
    try {
      fs.writeSync(fd, id + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(idPath + '.tmp', idPath);
    fsyncDir(dir);
    return id;
  }
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * One process per spool directory: two writers would interleave frames and commit each
 * other's positions. The lock file holds the owner's pid; a lock whose process is gone (a crash,
 * or the same pid reused inside a restarted container) is taken over.
 */
export function takeLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(path, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`the spool directory ${path.replace(/\/lock$/, '')} is in use by process ${pid}; give each collector its own DATA_DIR`);
      }
      fs.unlinkSync(path);
    }
  }
  throw new Error(`could not lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
