/**
 * Shared helpers of the DIMSE-N service tests: connected pairs (memory pipes by default, TCP on
 * 127.0.0.1 once n-tcp-mode is imported) and a recorder of every command each side sends
 * (checked against PS3.7 Tables 10.3-x with validateCommand).
 */
import { createMemoryPair } from '../../adapters/memory';
import { connectTcp, listenTcp } from '../../adapters/node';
import type { Transport } from '../../src/transport';
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

/** Two connected transports: [requestor side, acceptor side]. */
export type Link = () => Promise<[Transport, Transport]>;

export const memoryLink: Link = async () => createMemoryPair();

/** A TCP connection on 127.0.0.1 through a listener on a free port, closed once it has accepted. */
export const tcpLink: Link = async () => {
  const listener = await listenTcp({ host: '127.0.0.1', port: 0 });
  try {
    const accepted = listener[Symbol.asyncIterator]().next();
    const client = await connectTcp({ host: '127.0.0.1', port: listener.port });
    const server = await accepted;
    if (server.done) throw new Error('listener closed before accepting');
    return [client, server.value];
  } finally {
    await listener.close();
  }
};

let current: { name: string; link: Link } = { name: 'memory pipes', link: memoryLink };
/** Switches every pair()/link() of this test file's module graph to another transport. */
export function useLink(name: string, link: Link): void {
  current = { name, link };
}
/** The transport the scenarios run over, for test titles. */
export const via = (): string => current.name;
/** Two connected transports over the current link (memory pipes unless switched). */
export const link = (): Promise<[Transport, Transport]> => current.link();

/** An SCU AE and an SCP AE over the current link, both sides recording what they send. */
export async function pair(
  scpAe: ApplicationEntity,
  handlers: ScpHandlers,
  scuAe: ApplicationEntity,
  options: AssociateOptions = {},
): Promise<Pair> {
  const [a, b] = await link();
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
