/**
 * The {@link RequestContext} handed to SCP handlers. A class, not an object literal: its `signal`
 * is made on first use, and a getter defined in a literal (a new closure per request) turned every
 * context into a slow dictionary-mode object in V8, for the literal and for each later read of
 * `ctx.*` in handlers (perf on a C-ECHO SCP: `Map::Normalize` under dispatch).
 */
import type { NegotiatedContext } from '../acse/contexts';
import type { Association } from '../association';
import type { Command } from '../dimse/types';
import type { RequestContext } from './types';

export class OperationContext implements RequestContext {
  readonly contextId: number;
  readonly abstractSyntax: string;
  readonly transferSyntax: string;
  readonly messageId: number;
  readonly peerAeTitle: string;
  #signal: AbortSignal | undefined;
  /** Whether a C-CANCEL (or the association's end) may abort it; false once the operation ended. */
  #cancellable: boolean;

  /**
   * `cancellable`: the signal follows C-CANCEL-RQs for this Message ID and the association's end;
   * otherwise (a C-STORE sub-operation, which has no C-CANCEL of its own) it never aborts.
   */
  constructor(
    readonly association: Association,
    context: NegotiatedContext,
    readonly command: Command,
    cancellable: boolean,
  ) {
    this.contextId = context.id;
    this.abstractSyntax = context.abstractSyntax;
    this.transferSyntax = context.transferSyntax;
    this.messageId = command.MessageID ?? 0;
    this.peerAeTitle = association.peerAeTitle;
    this.#cancellable = cancellable;
  }

  /** Aborts on C-CANCEL for this request or when the association ends (made on first use: an AbortController per C-ECHO or C-STORE cost ~5 % of an echo). */
  get signal(): AbortSignal {
    this.#signal ??= this.#cancellable ? this.association.dimse.cancelSignal(this.messageId) : new AbortController().signal;
    return this.#signal;
  }

  /** The operation is over: a signal first asked for after this never aborts. */
  static ended(ctx: OperationContext): void {
    ctx.#cancellable = false;
  }
}
