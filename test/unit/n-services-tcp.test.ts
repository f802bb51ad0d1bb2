/**
 * Every DIMSE-N service SCU ↔ SCP over TCP on 127.0.0.1 (issue 6). The memory-pipe scenarios of
 * n-services, n-mpps (with Instance Availability), n-print, n-media-creation, n-ups and
 * storage-commitment run again here with every pair() and link() over a real socket (a listener
 * on a free port, see n-helpers tcpLink); then the cases only TCP shows: Display System N-GET, the
 * storage commitment report on a new association the archive opens back to the modality's own
 * listening port (role reversal), and a UPS subscriber receiving events on an association the
 * UPS SCP opens to the watcher's listening port.
 */
import './n-tcp-mode'; // first: the imported scenarios below run over TCP
import './n-services.test';
import './n-mpps.test';
import './n-print.test';
import './n-media-creation.test';
import './n-ups.test';
import './storage-commitment.test';

import { afterEach, describe, expect, it } from 'vitest';
import { connectTcp, listenTcp } from '../../adapters/node';
import type { ApplicationEntity } from '../../src/ae';
import type { Association } from '../../src/association';
import type { NRequest, ScpHandlers } from '../../src/scp/types';
import type { Server } from '../../src/server';
import { DISPLAY_SYSTEM_INSTANCE, DISPLAY_SYSTEM_SOP_CLASS, displaySystemScp, getDisplaySystem } from '../../src/services/display-system';
import { STORAGE_COMMITMENT_SOP_CLASS as SC, requestStorageCommitment, storageCommitmentResults, storageCommitmentScp } from '../../src/services/storage-commitment';
import { ServiceContexts } from '../../src/services/service-contexts';
import { upsScp } from '../../src/services/ups';
import { changeUpsState, subscribeUps, UpsClass, UpsEvent } from '../../src/services/ups-scu';
import { ae, pair, problemsIn, via } from './n-helpers';

const HOST = '127.0.0.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ force: true })));
});

/** Serves `handlers` as `scpAe` on a free port of 127.0.0.1 (closed after each test). */
async function serveTcp(scpAe: ApplicationEntity, handlers: ScpHandlers): Promise<{ port: number; server: Server }> {
  const listener = await listenTcp({ host: HOST, port: 0 });
  const server = scpAe.serve(listener, handlers);
  servers.push(server);
  return { port: listener.port, server };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe(`Display System Management (${via()})`, () => {
  it('N-GET of the well-known instance returns the requested attributes with SOP Class / Instance UIDs', async () => {
    const attributes = { Manufacturer: 'ACME', ManufacturerModelName: 'Viewer 9', DeviceSerialNumber: 'SN-1' };
    const p = await pair(ae('DISPLAY').addSupportedContext(DISPLAY_SYSTEM_SOP_CLASS), displaySystemScp({ attributes }), ae('SCU').addRequestedContext(DISPLAY_SYSTEM_SOP_CLASS));
    const result = await getDisplaySystem(p.scu, [0x00080070]);
    expect(result.status).toBe(0);
    expect(result.dataset).toMatchObject({ Manufacturer: 'ACME' });
    expect(result.command).toMatchObject({ AffectedSOPClassUID: DISPLAY_SYSTEM_SOP_CLASS, AffectedSOPInstanceUID: DISPLAY_SYSTEM_INSTANCE });
    await p.scu.release();
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });
});

describe('over TCP, to a listening port of the SCU (role reversal)', () => {
  it('storage commitment: the archive opens a new association to the modality\'s listening port and sends the report as SCP', async () => {
    const results = storageCommitmentResults();
    // The modality requests commitment as SCU and accepts the report association, where the archive is SCP.
    const modality = ae('MODALITY').addRequestedContext(SC).addSupportedContext(SC, undefined, { scuRole: false, scpRole: true });
    const reportAssociations: Association[] = [];
    const modalityIn = await serveTcp(modality, results.handlers);
    /** Associations the modality's server had accepted once each report association was up. */
    const seenByModality: Association[] = [];
    const archiveOut = ae('ARCHIVE').addRequestedContext(SC, undefined, { scuRole: false, scpRole: true });
    const aeTable: Record<string, number> = { MODALITY: modalityIn.port };
    const archive = await serveTcp(
      ae('ARCHIVE').addSupportedContext(SC),
      storageCommitmentScp({
        reportOn: 'new',
        commit: (r) => ({ failed: r.references.filter((x) => x.sopInstanceUid.endsWith('.3')).map((x) => ({ ...x, failureReason: 0x0112 })) }),
        openReportAssociation: async (peer) => {
          const port = aeTable[peer];
          if (!port) throw new Error(`unknown AE ${peer}`);
          const association = await archiveOut.associate(await connectTcp({ host: HOST, port }), { calledAeTitle: peer });
          seenByModality.push(...modalityIn.server.associations);
          reportAssociations.push(association);
          return association;
        },
      }),
    );
    const scu = await modality.associate(await connectTcp({ host: HOST, port: archive.port }), { calledAeTitle: 'ARCHIVE' });
    const refs = [1, 2, 3].map((n) => ({ sopClassUid: CT, sopInstanceUid: `1.2.3.${n}` }));
    const rsp = await requestStorageCommitment(scu, refs);
    expect(rsp.status).toBe(0);
    const result = await results.wait(rsp.transactionUid, { timeoutMs: 10000 });
    expect(result.eventTypeId).toBe(2);
    expect(result.committed.map((r) => r.sopInstanceUid)).toEqual(['1.2.3.1', '1.2.3.2']);
    expect(result.failed.map((r) => r.sopInstanceUid)).toEqual(['1.2.3.3']);
    // The report came on a second association, opened by the archive, with the SCP role negotiated for it.
    expect(reportAssociations).toHaveLength(1);
    const report = reportAssociations[0]!;
    expect(report.acceptedContexts[0]).toMatchObject({ abstractSyntax: SC, requestorIsScp: true, requestorIsScu: false });
    expect(seenByModality.length).toBeGreaterThanOrEqual(1);
    expect(seenByModality.every((a) => a.peerAeTitle === 'ARCHIVE')).toBe(true);
    await report.closed; // released after the report
    // The request association is still usable and is released normally.
    expect(scu.isEstablished).toBe(true);
    await scu.release();
  });

  it('UPS watch: events reach a subscriber on associations the UPS SCP opens to the watcher\'s listening port', async () => {
    const events: NRequest[] = [];
    const watcherIn = await serveTcp(ae('WATCHER').addSupportedContext(UpsClass.event, undefined, { scpRole: true }), {
      nEventReport: (r) => (events.push(r), { status: 0 }),
    });
    const outbound = ae('UPS-SCP').addRequestedContext(UpsClass.event, undefined, { scuRole: false, scpRole: true });
    const opened: string[] = [];
    const ups = upsScp({
      openEventAssociation: async (title) => {
        opened.push(title);
        expect(title).toBe('WATCHER');
        return outbound.associate(await connectTcp({ host: HOST, port: watcherIn.port }), { calledAeTitle: title });
      },
    });
    const scpAe = ae('UPS-SCP');
    for (const uid of ServiceContexts.unifiedProcedureStep) scpAe.addSupportedContext(uid);
    const upsIn = await serveTcp(scpAe, ups.handlers);
    // The watcher's own association proposes no Event SOP class: events must come on a new association.
    const scu = await ae('WATCHER').addRequestedContext(UpsClass.push).addRequestedContext(UpsClass.watch).addRequestedContext(UpsClass.pull)
      .associate(await connectTcp({ host: HOST, port: upsIn.port }), { calledAeTitle: 'UPS-SCP' });
    const scheduled = { ProcedureStepState: 'SCHEDULED', PatientName: 'DOE^J', ScheduledProcedureStepPriority: 'MEDIUM', ProcedureStepLabel: 'AI', ScheduledProcedureStepStartDateTime: '20250101080000', InputReadinessState: 'READY' };
    expect((await scu.nCreate(UpsClass.push, '1.6.1', scheduled)).status).toBe(0);
    expect((await subscribeUps(scu, '1.6.1', 'WATCHER')).status).toBe(0);
    await until(() => events.length === 1);
    expect((await changeUpsState(scu, '1.6.1', 'IN PROGRESS', '6.6')).status).toBe(0);
    await until(() => events.length === 2);
    expect(events.map((e) => [e.typeId, e.sopInstanceUid, e.dataset?.ProcedureStepState])).toEqual([
      [UpsEvent.stateReport, '1.6.1', 'SCHEDULED'],
      [UpsEvent.stateReport, '1.6.1', 'IN PROGRESS'],
    ]);
    expect(opened.length).toBeGreaterThanOrEqual(1);
    await scu.release();
  });
});
