/**
 * The C-FIND associations a differential test opens, one to DCMTK's SCP and one to netdicom's,
 * and the teardown they share: release them, stop the netdicom qrscp, end DCMTK's processes,
 * remove the work folder.
 */
import { rmSync } from 'node:fs';
import { connectTcp } from '../../../adapters/node';
import { ApplicationEntity } from '../../../src/ae';
import type { Association } from '../../../src/association';
import { killAll } from './store-harness';

export class FindPeers {
  private readonly open: Association[] = [];

  constructor(private readonly sopClassUid: string) {}

  /** An association to 127.0.0.1:`port` proposing the one SOP class. */
  async associate(port: number, calledAeTitle: string): Promise<Association> {
    const scu = new ApplicationEntity({ aeTitle: 'DIFF' }).addRequestedContext(this.sopClassUid);
    const assoc = await scu.associate(await connectTcp({ host: '127.0.0.1', port }), { calledAeTitle });
    this.open.push(assoc);
    return assoc;
  }

  async close(stopQr: (() => Promise<number>) | undefined, root: string | undefined): Promise<void> {
    await Promise.all(this.open.map((a) => a.release().catch(() => undefined)));
    await stopQr?.();
    await killAll();
    if (root) rmSync(root, { recursive: true, force: true });
  }
}
