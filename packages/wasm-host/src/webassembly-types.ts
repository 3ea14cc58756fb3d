// The WebAssembly JS API types this package uses. TypeScript ships them only in the DOM lib,
// which does not belong in a Node.js package; Node provides the same API at run time.
declare global {
  namespace WebAssembly {
    class Module {
      constructor(bytes: BufferSource);
      static exports(m: Module): { name: string; kind: string }[];
      static imports(m: Module): { module: string; name: string; kind: string }[];
    }
    class Instance {
      constructor(m: Module, imports?: Imports);
      readonly exports: Record<string, unknown>;
    }
    class Memory {
      constructor(d: { initial: number; maximum?: number; shared?: boolean });
      readonly buffer: ArrayBuffer;
      grow(pages: number): number;
    }
    class Table {
      constructor(d: { element: 'anyfunc' | 'externref'; initial: number; maximum?: number });
    }
    type ImportValue = ((...args: any[]) => any) | Memory | Table; // eslint-disable-line @typescript-eslint/no-explicit-any
    type Imports = Record<string, Record<string, ImportValue>>;
    function compile(bytes: BufferSource): Promise<Module>;
    function instantiate(m: Module, imports?: Imports): Promise<Instance>;
    function validate(bytes: BufferSource): boolean;
  }
  type BufferSource = ArrayBufferView | ArrayBuffer;
}
export {};
