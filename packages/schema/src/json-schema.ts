import { FIELDS, type Field } from './fields.js';

/** Bounds for integer columns: INT is 32-bit signed; BIGINT is held to JSON's exact integer range. */
const INT_MAX = 2_147_483_647;

function propertySchema(f: Field): Record<string, unknown> {
  switch (f.json) {
    case 'integer': {
      const max = f.sql.mysql === 'INT' ? INT_MAX : Number.MAX_SAFE_INTEGER;
      return { type: ['integer', 'null'], minimum: f.sql.mysql === 'INT' ? -INT_MAX - 1 : Number.MIN_SAFE_INTEGER, maximum: max };
    }
    case 'number':
      return { type: ['number', 'null'], minimum: 0 };
    case 'object':
      // ai_log: an object, or a string holding JSON (gateways often double-encode it).
      return { type: ['object', 'string', 'null'] };
    case 'string-map':
      return { type: ['object', 'null'], additionalProperties: { type: 'string' } };
    case 'string':
      return f.name === 'start_time' ? { type: 'string', minLength: 1 } : { type: ['string', 'null'] };
  }
}

/**
 * JSON Schema (draft-07) of one wire record. Unknown fields are allowed (and ignored by the
 * collector); over-long strings are not rejected here because the collector cuts them to the
 * column size instead of losing the record.
 */
export function recordJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of FIELDS) properties[f.name] = { ...propertySchema(f), description: f.doc };
  return {
    $id: 'access-log-record',
    type: 'object',
    required: FIELDS.filter((f) => 'required' in f && f.required).map((f) => f.name),
    properties,
    additionalProperties: true,
  };
}
