/**
 * Shared helpers of the DIMSE-N service tests: memory pairs and a recorder of every command
 * each side sends (checked against PS3.7 Tables 10.3-x with validateCommand).
 */
import { createMemoryPair } from '../../adapters/memory';
import { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import { validateCommand } from '../../src/dimse/messages';
import type { Command } from '../../src/dimse/types';
import type { AssociateOptions } from '../../src/requestor';
import type { ScpHandlers } from '../../src/scp/types';

/** Records the commands an association sends. */
export function recordSent(association: Association, into: Command[]): void {
  const send = association.dimse.sendMsg.bind(association.dimse);
  association.dimse.sendMsg = (command, contextId, dataset) => {
    into.push({ ...command, CommandDataSetType: dataset === null ? 0x0101 : 0x0000 });
    return send(command, contextId, dataset);
  };
}

/** Every problem validateCommand finds in the recorded commands. */
export function problemsIn(commands: readonly Command[]): string[] {
  return commands.flatMap((c) => validateCommand(c));
}

export interface Pair {
  scu: Association;
  /** The acceptor's association, once established. */
  scp: Promise<Association>;
  /** Commands sent by the SCU side and by the SCP side. */
  sentByScu: Command[];
  sentByScp: Command[];
  served: Promise<unknown>;
}

/** An SCU AE and an SCP AE over a memory pair, both sides recording what they send. */
export async function pair(
  scpAe: ApplicationEntity,
  handlers: ScpHandlers,
  scuAe: ApplicationEntity,
  options: AssociateOptions = {},
): Promise<Pair> {
  const [a, b] = createMemoryPair();
  const sentByScu: Command[] = [];
  const sentByScp: Command[] = [];
  let resolveScp!: (a: Association) => void;
  const scp = new Promise<Association>((r) => (resolveScp = r));
  const served = scpAe.handle(b, handlers, {}, (association) => {
    recordSent(association, sentByScp);
    resolveScp(association);
  });
  const scu = await scuAe.associate(a, { calledAeTitle: scpAe.options.aeTitle, ...options });
  recordSent(scu, sentByScu);
  return { scu, scp, sentByScu, sentByScp, served };
}

export const ae = (aeTitle: string) => new ApplicationEntity({ aeTitle });
