/** Minimal typings for pako 2 (raw deflate/inflate), used by src/dataset/deflate.ts. */
declare module 'pako' {
  export interface InflateOptions {
    raw?: boolean;
    chunkSize?: number;
  }
  export class Inflate {
    constructor(options?: InflateOptions);
    push(data: Uint8Array, finalize?: boolean): boolean;
    onData(chunk: Uint8Array): void;
    err: number;
    msg: string;
    ended: boolean;
  }
  export function deflateRaw(data: Uint8Array, options?: { level?: number }): Uint8Array;
}
