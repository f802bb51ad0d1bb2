// Types for demo/server.mjs (used by test/browser/demo.test.ts).
export declare const PACS_AE_TITLE: string;
export interface DemoOptions {
  port?: number;
  dicomPort?: number;
  dataDir?: string;
  log?: (line: string) => void;
  proxyLog?: (line: string) => void;
  /** Point the proxy's `/pacs` at this external SCP instead of starting one. */
  pacs?: { host: string; port: number };
}
export interface Demo {
  readonly url: string;
  /** The SCP's store (undefined with an external `pacs`). */
  readonly dataDir: string | undefined;
  readonly dicomPort: number;
  readonly kind: string;
  close(): Promise<void>;
}
export declare function startDemo(options?: DemoOptions): Promise<Demo>;
export declare function bundleBuilt(): boolean;
