/**
 * The Application Entity: our AE title, the presentation contexts we request and support, and
 * the entry points to associate (SCU) and to serve (SCP). No global state: everything comes in
 * through options.
 */
import { DEFAULT_TRANSFER_SYNTAXES, type RequestedContext, type SupportedContext } from './acse/contexts';
import { serveTransport, type AcceptorOptions } from './acceptor';
import type { Association } from './association';
import type { CloseInfo } from './channel';
import { silentLogger } from './logger';
import { checkAeTitle, checkUid } from './bytes/text';
import { DEFAULT_AE_OPTIONS, type AeOptions } from './options';
import { MAX_PDU_LENGTH, MIN_PDU_LENGTH } from './pdu/constants';
import { requestAssociation, type AssociateOptions } from './requestor';
import type { ScpHandlers } from './scp/types';
import { Server, type ServeOptions } from './server';
import type { Listener, Transport } from './transport';
import { isStorageSopClass } from './uids/sop-classes';

/**
 * Roles to propose (requestor) or accept (acceptor) for a context (PS3.7 D.3.3.4). One left unset
 * keeps its default: proposed as SCU 1 / SCP 0; as acceptor, a proposed SCU role accepted and a
 * proposed SCP role refused (see RequestedContext, SupportedContext).
 */
export interface RoleOptions {
  scuRole?: boolean;
  scpRole?: boolean;
}

/** PS3.7 D.3.3.2: 1-16 characters of the ISO 646 basic G0 set (printable ASCII here). */
function checkImplementationVersionName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 16 || /[^\x20-\x7e]/.test(name)) {
    throw new RangeError(`implementation version name must be 1-16 printable ASCII characters, got ${JSON.stringify(name)}`);
  }
}

/** reliability.md §5: 4096..16 MiB, or 0 for no limit (which the 16 MiB cap still bounds). */
function checkMaxPduLength(length: number): void {
  if (length !== 0 && !(Number.isInteger(length) && length >= MIN_PDU_LENGTH && length <= MAX_PDU_LENGTH)) {
    throw new RangeError(`maxPduLength must be 0 (no limit) or an integer from ${MIN_PDU_LENGTH} to ${MAX_PDU_LENGTH}, got ${length}`);
  }
}

/**
 * A DICOM application entity: our AE title and {@link AeOptions}, the presentation contexts we
 * propose as requestor (`addRequestedContext`) and accept as acceptor (`addSupportedContext`,
 * `acceptAnyStorage`). `associate()` opens an {@link Association} over a transport (SCU);
 * `serve()` answers every connection of a listener with SCP handlers and returns a
 * {@link Server}, `handle()` serves a single transport. One instance serves any number of
 * associations. The constructor throws a RangeError for an invalid AE title (1-16 printable ASCII
 * characters, no backslash, not all spaces), implementation class UID or version name, or a
 * maxPduLength outside 4096..16 MiB (0 = no limit).
 *
 * @example
 * ```ts
 * const scu = new ApplicationEntity({ aeTitle: 'MY-SCU' }).addRequestedContext(SopClass.Verification);
 * const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port: 11112 }), { calledAeTitle: 'ECHO-SCP' });
 * console.log((await assoc.cEcho()).status); // 0 on success
 * await assoc.release();
 * ```
 */
export class ApplicationEntity {
  /** Resolved options (defaults merged with what was given). */
  readonly options: AeOptions;
  /** Contexts proposed by associate(), in order (IDs 1, 3, 5, ...). */
  readonly requestedContexts: RequestedContext[] = [];
  /** Contexts accepted when serving. */
  readonly supportedContexts: SupportedContext[] = [];
  private anyStorage: readonly string[] | null = null;

  constructor(options: Partial<AeOptions> = {}) {
    this.options = { ...DEFAULT_AE_OPTIONS, logger: silentLogger, ...options };
    // Refused here rather than sent: a peer would reject or misread them (PS3.8 Table 9-11, PS3.7 D.3.3.2).
    checkAeTitle(this.options.aeTitle);
    checkUid(this.options.implementationClassUid, 'implementation class UID');
    checkImplementationVersionName(this.options.implementationVersionName);
    checkMaxPduLength(this.options.maxPduLength);
  }

  /** Adds a context to propose. Transfer syntaxes default to the uncompressed ones. */
  addRequestedContext(abstractSyntax: string, transferSyntaxes: readonly string[] = DEFAULT_TRANSFER_SYNTAXES, roles: RoleOptions = {}): this {
    this.requestedContexts.push({ abstractSyntax, transferSyntaxes: [...transferSyntaxes], ...roles });
    return this;
  }

  /** Adds a context to accept; transfer syntaxes in our preference order. Roles: whether to accept a proposed SCU/SCP role. */
  addSupportedContext(abstractSyntax: string, transferSyntaxes: readonly string[] = DEFAULT_TRANSFER_SYNTAXES, roles: RoleOptions = {}): this {
    const index = this.supportedContexts.findIndex((c) => c.abstractSyntax === abstractSyntax);
    const context = { abstractSyntax, transferSyntaxes: [...transferSyntaxes], ...roles };
    if (index >= 0) this.supportedContexts[index] = context;
    else this.supportedContexts.push(context);
    return this;
  }

  /** Accepts every storage SOP class of the registry, even unlisted ones (pynetdicom's unrestricted storage). */
  acceptAnyStorage(transferSyntaxes: readonly string[] = DEFAULT_TRANSFER_SYNTAXES): this {
    this.anyStorage = [...transferSyntaxes];
    return this;
  }

  /** Requests an association over a connected transport. Rejects with AssociationRejectedError, TimeoutError, ... */
  associate(transport: Transport, options: AssociateOptions = {}): Promise<Association> {
    return requestAssociation(transport, this.requestedContexts, this.options, options);
  }

  /** Serves one association on `transport` as acceptor; resolves with how it ended (never rejects). */
  handle(transport: Transport, handlers: ScpHandlers = {}, policy: Partial<AcceptorOptions> = {}, onAssociation?: (a: Association) => void): Promise<CloseInfo> {
    return serveTransport(transport, this.options, this.acceptorOptions(policy), handlers, onAssociation);
  }

  /** Serves every transport a listener hands out (an SCP). */
  serve(listener: Listener, handlers: ScpHandlers = {}, options: ServeOptions = {}): Server {
    return new Server(listener, (transport, policy, onAssociation) => this.handle(transport, handlers, policy, onAssociation), options);
  }

  private acceptorOptions(policy: Partial<AcceptorOptions>): AcceptorOptions {
    return {
      supported: this.supportedContexts,
      ...(this.anyStorage && { acceptAnyStorage: { transferSyntaxes: this.anyStorage, isStorage: isStorageSopClass } }),
      ...policy,
    };
  }
}
