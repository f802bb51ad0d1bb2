/**
 * The inbound side of the WebSocket transport: messages, then an end or a failure, delivered to
 * whichever consumer the core picks, a web ReadableStream (made on first use) or the fast path's
 * {@link ByteSink}. What comes before the choice, or while the sink is paused, is held in order.
 * The WebSocket API cannot pause the sender, so nothing bounds what is held: the proxy bounds what
 * one PDU can be, and the core reads on.
 */
import type { ByteSink } from '../../src/transport';

export class MessageInput {
  private held: Uint8Array[] = [];
  /** An end (no error) or a failure not yet given to the consumer. */
  private ending: { error?: unknown } | null = null;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private stream: ReadableStream<Uint8Array> | null = null;
  private sink: ByteSink | null = null;
  private paused = false;
  /** The consumer has its end or failure, or cancelled: later input is dropped. */
  private over = false;

  /** One message's bytes. */
  push(chunk: Uint8Array): void {
    if (this.over || this.ending) return;
    if (this.controller) this.controller.enqueue(chunk);
    else if (this.sink && !this.paused) this.sink.data(chunk);
    else this.held.push(chunk);
  }

  /** The peer closed normally: the consumer gets the end after everything before it. */
  end(): void {
    this.settle({});
  }

  /** The connection failed: what was not delivered yet is dropped, as a reset drops it. */
  fail(error: unknown): void {
    this.settle({ error });
  }

  /** The input as a web stream, made on first use (the fast path never makes one). */
  readable(): ReadableStream<Uint8Array> {
    this.stream ??= new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        for (const chunk of this.held.splice(0)) controller.enqueue(chunk);
        this.deliverEnding();
      },
      cancel: () => {
        this.over = true;
        this.held = [];
      },
    });
    return this.stream;
  }

  /** The fast path: input goes to `sink` from now on (DirectTransport.receive). */
  receive(sink: ByteSink): void {
    this.sink = sink;
    this.resume();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    // sink.data may pause again: the rest waits for the next resume. One splice at the end, not a
    // shift per message: a long pause can hold many.
    const held = this.held;
    let given = 0;
    while (this.sink && !this.paused && !this.over && given < held.length) this.sink.data(held[given++]!);
    held.splice(0, given); // a failure meanwhile replaced `held` with an empty list: nothing lost
    this.deliverEnding();
  }

  private settle(ending: { error?: unknown }): void {
    if (this.over || this.ending) return;
    this.ending = ending;
    if (ending.error !== undefined) this.held = [];
    this.deliverEnding();
  }

  /** Gives the end or failure to the consumer once nothing is held before it. */
  private deliverEnding(): void {
    const ending = this.ending;
    if (!ending || this.over || this.held.length > 0) return;
    if (this.controller) {
      this.over = true;
      if (ending.error !== undefined) this.controller.error(ending.error);
      else this.controller.close();
    } else if (this.sink) {
      this.over = true;
      if (ending.error !== undefined) this.sink.error(ending.error);
      else this.sink.end();
    }
  }
}
