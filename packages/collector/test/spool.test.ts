// The spool on its own: framing, rotation, torn tails, bound, positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Spool, SpoolFullError } from '../src/spool/spool.js';
import { removeDir, tempDir } from './helpers.js';

const log = pino({ level: 'silent' });
const row = (i: number) => [`2024-01-01T00:00:00.000Z`, `r-${i}`, null, 42];

async function readAll(s: Spool) {
  const rows: unknown[][] = [];
  let end;
  while (s.hasUnread()) {
    const b = await s.readBatch(7);
    rows.push(...b.rows);
    end = b.end;
  }
  return { rows, end };
}

test('appends become readable in order across segment rotations, and a commit deletes old segments', async () => {
  const dir = tempDir();
  try {
    const s = Spool.open(dir, { maxBytes: 1 << 30, segmentBytes: 300, log });
    s.rewind(null);
    for (let i = 0; i < 40; i++) await s.append([row(i) as never]);
    assert.equal(s.unreadRecords, 40);
    const segsBefore = fs.readdirSync(dir).filter((n) => n.startsWith('segment-')).length;
    assert.ok(segsBefore > 3, `rotated into ${segsBefore} segments`);
    const { rows, end } = await readAll(s);
    assert.deepEqual(rows.map((r) => r[1]), Array.from({ length: 40 }, (_, i) => `r-${i}`));
    s.commit(end!);
    assert.equal(s.pendingBytes, 0);
    assert.ok(fs.readdirSync(dir).filter((n) => n.startsWith('segment-')).length <= 2, 'committed segments deleted');
    await s.close();
  } finally {
    removeDir(dir);
  }
});

test('after a restart, replay starts at the committed position; a torn tail is dropped', async () => {
  const dir = tempDir();
  try {
    const s1 = Spool.open(dir, { maxBytes: 1 << 30, log });
    s1.rewind(null);
    for (let i = 0; i < 10; i++) await s1.append([row(i) as never]);
    const first = await s1.readBatch(4);
    assert.equal(first.rows.length, 4);
    const committed = first.end;
    // Simulate a crash mid-write: half a frame at the end of the active segment.
    const seg = fs.readdirSync(dir).filter((n) => n.startsWith('segment-')).sort().at(-1)!;
    fs.appendFileSync(join(dir, seg), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));
    fs.unlinkSync(join(dir, 'lock'));
    const s2 = Spool.open(dir, { maxBytes: 1 << 30, log });
    assert.equal(s2.id, s1.id, 'the spool keeps its id');
    s2.rewind(committed);
    assert.equal(s2.backlog, true);
    await s2.append([row(10) as never]);
    const { rows } = await readAll(s2);
    assert.deepEqual(rows.map((r) => r[1]), ['r-4', 'r-5', 'r-6', 'r-7', 'r-8', 'r-9', 'r-10']);
    await s2.close();
  } finally {
    removeDir(dir);
  }
});

test('pending records: appended since start until committed, a lost acknowledgement included', async () => {
  const dir = tempDir();
  try {
    const s1 = Spool.open(dir, { maxBytes: 1 << 30, log });
    s1.rewind(null);
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, k) => row(from + k) as never);
    await s1.append(rows(0, 10));
    await s1.append(rows(10, 20));
    await s1.append(rows(30, 30));
    assert.equal(s1.pendingRecords, 60);
    const a = await s1.readBatch(25); // whole frames: 10 + 20
    const b = await s1.readBatch(25); // 30
    assert.deepEqual([a.rows.length, b.rows.length], [30, 30]);
    assert.equal(s1.pendingRecords, 60, 'read is not committed');
    s1.commit(a.end);
    assert.equal(s1.pendingRecords, 30);
    // b's commit reached the database but its answer was lost: the database's position says so.
    s1.rewind(b.end);
    assert.equal(s1.pendingRecords, 0);
    await s1.append(rows(60, 5));
    const c = await s1.readBatch(100);
    // c failed: the reader goes back to the committed position and c stays pending.
    s1.rewind(b.end);
    assert.equal(s1.pendingRecords, 5);
    const again = await s1.readBatch(100);
    assert.deepEqual(again, c);
    await s1.close();
    // A restart: the uncommitted frame is a backlog from before start, not counted; new appends are.
    const s2 = Spool.open(dir, { maxBytes: 1 << 30, log });
    s2.rewind(b.end);
    assert.equal(s2.backlog, true);
    await s2.append(rows(70, 3));
    assert.equal(s2.pendingRecords, 3);
    const d = await s2.readBatch(100);
    assert.deepEqual(d.rows.map((r) => r[1]), ['r-60', 'r-61', 'r-62', 'r-63', 'r-64', 'r-70', 'r-71', 'r-72']);
    s2.commit(d.end);
    assert.equal(s2.pendingRecords, 0);
    await s2.close();
  } finally {
    removeDir(dir);
  }
});

test('the bound: past SPOOL_MAX_BYTES appends fail without writing', async () => {
  const dir = tempDir();
  try {
    const s = Spool.open(dir, { maxBytes: 400, log });
    s.rewind(null);
    let full = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await s.append([row(i) as never]);
      } catch (e) {
        assert.ok(e instanceof SpoolFullError);
        full++;
      }
    }
    assert.ok(full > 0);
    assert.ok(s.pendingBytes <= 400);
    assert.equal(s.isFull(100), true);
    assert.equal(s.isFull(), true, 'reported full after a refusal');
    const { rows, end } = await readAll(s);
    assert.equal(rows.length, 20 - full);
    s.commit(end!);
    assert.equal(s.isFull(100), false);
    assert.equal(s.isFull(), false);
    await s.append([row(99) as never]);
    await s.close();
  } finally {
    removeDir(dir);
  }
});

test('a second process cannot open the same spool directory', async () => {
  const dir = tempDir();
  try {
    fs.mkdirSync(dir, { recursive: true });
    // pid 1 is always alive: the directory looks held by another process.
    fs.writeFileSync(join(dir, 'lock'), '1');
    assert.throws(() => Spool.open(dir, { maxBytes: 1000, log }), /in use by process 1/);
  } finally {
    removeDir(dir);
  }
});
