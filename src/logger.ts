/**
 * A pluggable logger. netdicom never writes to the console unless given a logger;
 * `debug` turns on readable PDU and DIMSE dumps (like pynetdicom's debug logger).
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Discards everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Writes to the console with a prefix; `debug` lines only when `verbose`. */
export function consoleLogger(options: { verbose?: boolean; prefix?: string } = {}): Logger {
  const prefix = options.prefix ?? 'netdicom';
  const line = (level: string, message: string) => `${level}: [${prefix}] ${message}`;
  return {
    debug: (m) => {
      if (options.verbose) console.debug(line('D', m));
    },
    info: (m) => console.info(line('I', m)),
    warn: (m) => console.warn(line('W', m)),
    error: (m) => console.error(line('E', m)),
  };
}
