/**
 * Minimal typings for the parts of dcmjs 0.52 that src/dataset/codec.ts uses
 * (dcmjs ships no TypeScript declarations).
 */
declare module 'dcmjs' {
  /** A denaturalized element: `{ vr, Value }` keyed by 8-hex-digit tag. */
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
    [key: string]: unknown;
  }
  export type DcmjsDict = Record<string, DcmjsElement>;

  interface ReadBufferStreamCtor {
    new (buffer: ArrayBuffer, littleEndian?: boolean | null, options?: { noCopy?: boolean }): object;
  }
  interface WriteBufferStreamCtor {
    new (defaultSize?: number, littleEndian?: boolean): { size: number; getBuffer(start?: number, end?: number): ArrayBuffer };
  }

  /** dcmjs's loglevel logger. */
  export interface DcmjsLogger {
    getLevel(): number;
    setLevel(level: number | string, persist?: boolean): void;
  }
  export const log: DcmjsLogger & { getLogger(name: string): DcmjsLogger };

  export const data: {
    ReadBufferStream: ReadBufferStreamCtor;
    WriteBufferStream: WriteBufferStreamCtor;
    DicomMessage: {
      _read(stream: object, syntax: string, options?: Record<string, unknown>): DcmjsDict;
      write(dict: DcmjsDict, stream: object, syntax: string, options?: Record<string, unknown>): number;
    };
    DicomMetaDictionary: {
      naturalizeDataset(dict: DcmjsDict): Record<string, unknown>;
      denaturalizeDataset(dataset: Record<string, unknown>): DcmjsDict;
    };
  };
  export const log: { setLevel(level: string | number): void; getLevel(): number };
}
