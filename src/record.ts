/**
 * Record and replay of an association's PDU stream (PS3.8 §9.3: every PDU starts with a 1-byte
 * type, a reserved byte and a 4-byte big-endian length). `recordTransport` wraps a transport and
 * keeps each PDU in both directions with its time; the trace is plain JSON. `replayTransport`
 * turns a trace into a scripted peer: it sends one side's PDUs, each once the live side has sent
 * the PDUs that came before it in the recording, so a device's session becomes a deterministic
 * test. Platform-free: web streams only.
 */
import { TimeoutError } from './errors';
import type { Transport } from './transport';

/** How long a replay waits for the live side's next PDU by default (ms). */
const DEFAULT_REPLAY_TIMEOUT_MS = 30_000;

/** One PDU of a trace, as seen by the recorded side. */
export interface TraceEntry {
  /** ms since the recording started. */
  readonly t: number;
  readonly dir: 'sent' | 'received';
  /** The PDU type byte (PS3.8 Table 9-11), for quick reading. */
  readonly type: number;
  /** The whole PDU, lower-case hex. */
  readonly hex: string;
}

/** A recording: JSON-able. */
export interface Trace {
  readonly version: 1;
  readonly entries: readonly TraceEntry[];
}

/** Wraps `transport`: the code using the returned transport works as usual while every PDU is recorded. */
export function recordTransport(transport: Transport): { transport: Transport; trace(): Trace } {
  const entries: TraceEntry[] = [];
  const started = Date.now();
  const framer = (dir: 'sent' | 'received') => new PduFramer((pdu) => entries.push({ t: Date.now() - started, dir, type: pdu[0]!, hex: toHex(pdu) }));
  const inbound = framer('received');
  const outbound = framer('sent');
  const readable = transport.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({ transform: (chunk, c) => (inbound.push(chunk), c.enqueue(chunk)) }),
  );
  const writer = transport.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      outbound.push(chunk);
      await writer.write(chunk);
    },
    close: () => writer.close(),
    abort: (reason) => writer.abort(reason),
  });
  const wrapped: Transport = {
    readable,
    writable,
    closed: transport.closed,
    info: transport.info,
    close: () => transport.close(),
    abort: (reason) => transport.abort(reason),
  };
  return { transport: wrapped, trace: () => ({ version: 1, entries: [...entries] }) };
}

/** What a replay saw. */
export interface ReplayResult {
  /** PDUs the live side sent, in order (hex). */
  readonly received: readonly string[];
  /** Where the live side differed from the recording (PDU types, missing or extra PDUs). */
  readonly mismatches: readonly string[];
}

/**
 * How {@link replayTransport} plays a {@link Trace}: which recorded side the script sends, with
 * what timing, and how long it waits for the live side.
 */
export interface ReplayOptions {
  /**
   * Which recorded direction the scripted peer plays: 'received' impersonates the recorded side's
   * peer (test code in the recorded role), 'sent' impersonates the recorded side itself.
   */
  readonly play: 'sent' | 'received';
  /** 'recorded' keeps the recorded gaps between scripted PDUs; default 'asap'. */
  readonly timing?: 'asap' | 'recorded';
  /**
   * How long to wait for the live side's next expected PDU (ms): when it passes, the transport
   * fails (the live side sees a transport error) and `done` rejects with a
   * {@link ReplayTimeoutError}. Default 30000; Infinity waits for ever.
   */
  readonly timeoutMs?: number;
}

/** The live side stopped sending before the recording says it should have. */
export class ReplayTimeoutError extends TimeoutError {
  constructor(
    /** PDUs the live side did send (hex), as in {@link ReplayResult.received}. */
    readonly received: readonly string[],
    /** How many PDUs the live side was expected to have sent by now. */
    readonly expected: number,
    timeoutMs: number,
  ) {
    super('replay', `replay: the live side sent ${received.length} of ${expected} expected PDUs, then nothing for ${timeoutMs} ms`);
    this.name = 'ReplayTimeoutError';
  }
}

/**
 * A transport for the live side whose peer is the script. `done` resolves when the script has
 * played and the live side has sent what the recording expects (or closed); it rejects with a
 * {@link ReplayTimeoutError} when the live side goes quiet for `timeoutMs` before that.
 */
export function replayTransport(trace: Trace, options: ReplayOptions): { transport: Transport; done: Promise<ReplayResult> } {
  const script = trace.entries;
  const received: string[] = [];
  const mismatches: string[] = [];
  let wake: (() => void) | null = null;
  let liveClosed = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const framer = new PduFramer((pdu) => {
    received.push(toHex(pdu));
    wake?.();
  });
  const notify = () => {
    liveClosed = true;
    wake?.();
  };
  const writable = new WritableStream<Uint8Array>({ write: (chunk) => framer.push(chunk), close: notify, abort: notify });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const timeoutMs = options.timeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS;
  const waitForLive = async (count: number) => {
    while (received.length < count && !liveClosed) {
      const before = received.length;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        wake = r;
        if (Number.isFinite(timeoutMs)) timer = setTimeout(r, timeoutMs);
      });
      clearTimeout(timer);
      if (received.length === before && !liveClosed) throw new ReplayTimeoutError([...received], count, timeoutMs);
    }
  };
  const fail = (error: Error) => {
    try {
      controller.error(error);
    } catch {
      // already closed
    }
    resolveClosed();
  };
  const done = (async (): Promise<ReplayResult> => {
    let expected = 0;
    let last = 0;
    for (const entry of script) {
      if (entry.dir !== options.play) {
        expected++;
        continue;
      }
      await waitForLive(expected);
      if (options.timing === 'recorded') await new Promise((r) => setTimeout(r, Math.max(0, entry.t - last)));
      last = entry.t;
      try {
        controller.enqueue(fromHex(entry.hex));
      } catch {
        break; // the live side went away
      }
    }
    await waitForLive(expected);
    const live = script.filter((e) => e.dir !== options.play);
    live.forEach((e, i) => {
      const got = received[i];
      if (got === undefined) mismatches.push(`PDU ${i + 1}: expected type 0x${hexByte(e.type)}, got nothing`);
      else if (got.slice(0, 2) !== hexByte(e.type)) mismatches.push(`PDU ${i + 1}: expected type 0x${hexByte(e.type)}, got 0x${got.slice(0, 2)}`);
    });
    for (let i = live.length; i < received.length; i++) mismatches.push(`PDU ${i + 1}: unexpected type 0x${received[i]!.slice(0, 2)}`);
    try {
      controller.close();
    } catch {
      // already closed
    }
    resolveClosed();
    return { received, mismatches };
  })();
  // The live side learns of a timeout through its transport; a caller that never awaits `done`
  // must not get an unhandled rejection.
  done.catch((error: Error) => fail(error));
  const transport: Transport = {
    readable,
    writable,
    closed,
    info: { remote: 'replay', local: 'replay', secure: false },
    close: async () => notify(),
    abort: () => {
      notify();
      try {
        controller.error(new Error('aborted'));
      } catch {
        // already closed
      }
    },
  };
  return { transport, done };
}

/** Cuts a byte stream into whole PDUs (6-byte header with a 32-bit length, PS3.8 §9.3.1). */
class PduFramer {
  private buffer = new Uint8Array(0);

  constructor(private readonly onPdu: (pdu: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    let offset = 0;
    while (joined.length - offset >= 6) {
      const length = new DataView(joined.buffer, joined.byteOffset + offset + 2, 4).getUint32(0);
      if (joined.length - offset < 6 + length) break;
      this.onPdu(joined.slice(offset, offset + 6 + length));
      offset += 6 + length;
    }
    this.buffer = joined.slice(offset);
  }
}

const hexByte = (n: number) => n.toString(16).padStart(2, '0');

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += hexByte(b);
  return s;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
