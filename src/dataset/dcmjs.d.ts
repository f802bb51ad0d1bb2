/**
 * Minimal typings for the parts of dcmjs 0.52 that src/dataset uses (dcmjs ships no TypeScript
 * declarations): the dcmjs-backed codec (dcmjs-codec.ts) and the dict-level reader and writer
 * (dict-reader.ts, dict-writer.ts), which reuse dcmjs's value representations and dictionary.
 */
declare module 'dcmjs' {
  /** A denaturalized element: `{ vr, Value }` keyed by 8-hex-digit tag. */
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[] | null;
    [key: string]: unknown;
  }
  export type DcmjsDict = Record<string, DcmjsElement>;

  /** One of dcmjs's value representation singletons (ValueRepresentation.createByTypeString). */
  export interface DcmjsVr {
    readonly type: string;
    readonly maxLength?: number | null;
    readonly maxCharLength?: number;
    readonly rangeMatchingMaxLength?: number;
    readonly padByte?: number;
    readonly defaultValue?: unknown;
    isBinary(): boolean;
    applyFormatting(value: unknown): unknown;
    /** PN only: boxes strings and adds toJSON/toString (dicomJson.pnAddValueAccessors). */
    addValueAccessors(value: unknown): unknown;
    dropPadByte<T>(values: T): T;
    checkLength?(value: unknown): boolean;
    convertToString?(value: unknown): unknown;
  }

  /** A standard dictionary entry: tag as "(GGGG,EEEE)". */
  export interface DcmjsDictEntry {
    tag: string;
    vr: string;
    name: string;
  }

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
      /** Lookup by "(GGGG,EEEE)" (a Proxy over dcmjs's packed dictionary). */
      dictionary: Record<string, DcmjsDictEntry | undefined>;
      /** Lookup by keyword. */
      nameMap: Record<string, DcmjsDictEntry>;
    };
    ValueRepresentation: {
      createByTypeString(type: string): DcmjsVr;
      /** Wraps an element or data set in dcmjs's Proxy that adds PN value accessors on assignment. */
      addTagAccessors<T extends object>(tag: T): T;
    };
  };
  export const utilities: {
    /** A one-item array as a Proxy that also reads and writes the item's properties. */
    addAccessors<T extends object>(dest: T, sqZero?: unknown): T;
  };
}
