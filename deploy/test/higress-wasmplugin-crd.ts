// The fields of Higress's WasmPlugin CRD (extensions.higress.io/v1alpha1), written down from the
// openAPIV3Schema Higress publishes in helm/core/crds/customresourcedefinitions.gen.yaml of
// alibaba/higress. That CRD does not forbid unknown fields: the API server silently prunes them,
// so a misspelt field would be dropped without a word. Here every level is closed
// (additionalProperties: false) except where the CRD preserves unknown fields (the configs).
const stringList = { type: 'array', items: { type: 'string' } } as const;
const freeObject = { type: 'object' } as const; // x-kubernetes-preserve-unknown-fields

export const WASM_PLUGIN_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'extensions.higress.io/v1alpha1' },
    kind: { const: 'WasmPlugin' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, namespace: { type: 'string' } },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        defaultConfig: freeObject,
        defaultConfigDisable: { type: 'boolean' },
        failStrategy: { enum: ['FAIL_CLOSE', 'FAIL_OPEN'] },
        imagePullPolicy: { enum: ['UNSPECIFIED_POLICY', 'IfNotPresent', 'Always'] },
        imagePullSecret: { type: 'string' },
        matchRules: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              config: freeObject,
              configDisable: { type: 'boolean' },
              domain: stringList,
              ingress: stringList,
              service: stringList,
            },
          },
        },
        phase: { enum: ['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'] },
        pluginConfig: freeObject,
        pluginName: { type: 'string' },
        priority: { type: ['integer', 'null'] },
        sha256: { type: 'string' },
        url: { type: 'string' },
        verificationKey: { type: 'string' },
        vmConfig: {
          type: 'object',
          additionalProperties: false,
          properties: {
            env: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  name: { type: 'string' },
                  value: { type: 'string' },
                  valueFrom: { enum: ['INLINE', 'HOST'] },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
