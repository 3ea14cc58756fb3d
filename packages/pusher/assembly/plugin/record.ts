// One access-log record: a slot per schema field (fields.generated.ts), written as one JSON
// object in the schema's order. Absent fields are left out; the collector stores them as NULL.
import {
  FIELD_COUNT, FIELD_NAMES, FIELD_KINDS, FIELD_MAX_LENGTH, KIND_STRING,
} from "./fields.generated";
import { ByteWriter } from "./writer";

export class LogRecord {
  // Strings hold the plain value; integers, objects and maps hold their JSON text.
  private slots: StaticArray<string | null> = new StaticArray<string | null>(FIELD_COUNT);

  /** Sets a string field; null or empty leaves it absent. */
  str(field: i32, value: string | null): void {
    if (value !== null && value.length > 0) this.slots[field] = value;
  }

  int(field: i32, value: i64): void {
    this.slots[field] = value.toString();
  }

  /** Sets a field from JSON text the caller has validated (an object or a string map). */
  json(field: i32, text: string): void {
    this.slots[field] = text;
  }

  has(field: i32): bool { return this.slots[field] !== null; }

  get(field: i32): string | null { return this.slots[field]; }

  write(w: ByteWriter): void {
    w.byte(0x7b);
    let first = true;
    for (let i = 0; i < FIELD_COUNT; i++) {
      const v = this.slots[i];
      if (v === null) continue;
      if (!first) w.byte(0x2c);
      first = false;
      w.jsonString(FIELD_NAMES[i]);
      w.byte(0x3a);
      if (FIELD_KINDS[i] == KIND_STRING) w.jsonString(v, FIELD_MAX_LENGTH[i]);
      else w.text(v);
    }
    w.byte(0x7d);
  }
}
