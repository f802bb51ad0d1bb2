/**
 * Print Job SOP Class (PS3.4 H.4.5): the print N-ACTION's Referenced Print Job Sequence, N-GET of
 * the job, and its N-EVENT-REPORTs (1 PENDING, 2 PRINTING, 3 DONE, 4 FAILURE) sent by the SCP on
 * the printing association and received by the SCU's handler. Memory pipes here; print-tcp reruns
 * this file over TCP.
 */
import { describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import type { NAnswer, RequestContext } from '../../src/scp/types';
import type { Dataset } from '../../src/scu/types';
import {
  PrintClass, PrintJobEvent, PrintStatus, REFERENCED_PRINT_JOB_SEQUENCE, getPrintJob, printEvents, printFilmJob, printJobOf, printScp,
  type PrintJob,
} from '../../src/services/print';
import { pair, problemsIn, via } from './n-helpers';
import { eventually, filmSessionRef, gate, grayImage, metaOnly, printerAe, printScuAe } from './print-helpers';

describe(`print job (${via()})`, () => {
  it('film box N-ACTION returns the job; PENDING → PRINTING → DONE reported on the same association; N-GET while printing; deleted after DONE', async () => {
    const printing = gate();
    const release = gate();
    const executed: PrintJob[] = [];
    const scp = printScp({
      printer: { PrinterName: 'LASER 1' },
      printJob: {
        async execute(job) {
          executed.push(job);
          printing.open();
          await release.wait;
        },
      },
    });
    const events = printEvents();
    const p = await pair(printerAe(), scp, printScuAe(), { handlers: events.handlers });
    const result = await printFilmJob(p.scu, [grayImage()], { filmSession: { PrintPriority: 'HIGH', FilmSessionLabel: 'CHEST' } });
    expect(result.status).toBe(0);
    expect(result.printJobUid).toMatch(/^2\.25\./);
    const uid = result.printJobUid!;

    await printing.wait;
    const during = await getPrintJob(p.scu, uid);
    expect(during.status).toBe(0);
    expect(during.dataset).toMatchObject({
      ExecutionStatus: 'PRINTING', ExecutionStatusInfo: 'NORMAL', PrintPriority: 'HIGH', PrinterName: 'LASER 1', Originator: 'SCU',
      SOPClassUID: PrintClass.printJob, SOPInstanceUID: uid,
    });
    expect(String(during.dataset!.CreationDate)).toMatch(/^\d{8}$/);
    // Only the attributes asked for (plus the SOP Class/Instance UIDs).
    const status = await getPrintJob(p.scu, uid, [0x21000020]);
    expect(Object.keys(status.dataset!).filter((k) => !k.startsWith('_')).sort()).toEqual(['ExecutionStatus', 'SOPClassUID', 'SOPInstanceUID']);
    expect(events.jobEvents(uid).map((e) => e.status)).not.toContain('DONE');

    release.open();
    const reported = await events.waitForJob(uid, { timeoutMs: 15_000 });
    expect(reported.map((e) => [e.status, e.executionStatusInfo])).toEqual([['PENDING', 'QUEUED'], ['PRINTING', 'NORMAL'], ['DONE', 'NORMAL']]);
    expect(reported[0]!.information).toMatchObject({ PrinterName: 'LASER 1', FilmSessionLabel: 'CHEST' });
    expect(executed).toHaveLength(1);
    expect(executed[0]!.films[0]!.imageBoxes[0]!.BasicGrayscaleImageSequence).toHaveLength(1);

    const reports = p.sentByScp.filter((c) => c.CommandField === CommandField['N-EVENT-REPORT-RQ']);
    expect(reports.map((c) => [c.AffectedSOPClassUID, c.AffectedSOPInstanceUID, c.EventTypeID])).toEqual([
      [PrintClass.printJob, uid, PrintJobEvent.PENDING], [PrintClass.printJob, uid, PrintJobEvent.PRINTING], [PrintClass.printJob, uid, PrintJobEvent.DONE],
    ]);
    // The SCU confirmed each one (PS3.4 H.4.5.2.1.2).
    expect(p.sentByScu.filter((c) => c.CommandField === CommandField['N-EVENT-REPORT-RSP']).map((c) => c.Status)).toEqual([0, 0, 0]);
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
    // Deleted once DONE is confirmed.
    await eventually(async () => (await getPrintJob(p.scu, uid)).status === 0x0112);
    await p.scu.release();
  });

  it('FAILURE with the Execution Status Info execute gives; a throwing execute fails with PRINTER DOWN', async () => {
    let failWith: 'jam' | 'throw' = 'jam';
    const scp = printScp({
      printJob: {
        execute: () => {
          if (failWith === 'throw') throw new Error('toner on fire');
          return { failure: 'FILM JAM' };
        },
      },
    });
    const events = printEvents();
    const p = await pair(printerAe(), scp, printScuAe(), { handlers: events.handlers });
    const first = await printFilmJob(p.scu, [grayImage()]);
    const jammed = await events.waitForJob(first.printJobUid!, { timeoutMs: 15_000 });
    expect(jammed.at(-1)).toMatchObject({ status: 'FAILURE', executionStatusInfo: 'FILM JAM' });
    failWith = 'throw';
    const second = await printFilmJob(p.scu, [grayImage()]);
    const down = await events.waitForJob(second.printJobUid!, { timeoutMs: 15_000 });
    expect(down.map((e) => e.status)).toEqual(['PENDING', 'PRINTING', 'FAILURE']);
    expect(down.at(-1)!.executionStatusInfo).toBe('PRINTER DOWN');
    expect(p.sentByScp.filter((c) => c.EventTypeID === PrintJobEvent.FAILURE)).toHaveLength(2);
    await p.scu.release();
  });

  it('film session N-ACTION makes one job for all its films', async () => {
    const jobs: PrintJob[] = [];
    const events = printEvents();
    const p = await pair(printerAe(), printScp({ printJob: { execute: (job) => void jobs.push(job) } }), printScuAe(), { handlers: events.handlers });
    const o = { context: PrintClass.grayscaleMeta };
    const session = await p.scu.nCreate(PrintClass.filmSession, undefined, { NumberOfCopies: 2 }, o);
    for (let i = 0; i < 2; i++) {
      const box = await p.scu.nCreate(PrintClass.filmBox, undefined, { ...filmSessionRef(session.sopInstanceUid!), ImageDisplayFormat: 'STANDARD\\1,1' }, o);
      const ref = (box.dataset!.ReferencedImageBoxSequence as Record<string, string>[])[0]!;
      expect((await p.scu.nSet(ref.ReferencedSOPClassUID!, ref.ReferencedSOPInstanceUID!, { ImageBoxPosition: 1, BasicGrayscaleImageSequence: [grayImage(2, 2, i)] }, o)).status).toBe(0);
    }
    const printed = await p.scu.nAction(PrintClass.filmSession, session.sopInstanceUid!, 1, null, o);
    expect(printed.status).toBe(0);
    expect(Object.keys(printed.dataset!)).toContain(REFERENCED_PRINT_JOB_SEQUENCE);
    const uid = printJobOf(printed.dataset)!;
    await events.waitForJob(uid, { timeoutMs: 15_000 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.uid).toBe(uid);
    expect(jobs[0]!.films).toHaveLength(2);
    await p.scu.release();
  });

  it('no Print Job context: no Referenced Print Job Sequence, no N-EVENT-REPORT, onPrint alone', async () => {
    let printedFilms = 0;
    const p = await pair(printerAe(), printScp({ onPrint: (f) => void (printedFilms += f.length), printJob: { execute: () => { throw new Error('not used'); } } }), printScuAe(metaOnly));
    const result = await printFilmJob(p.scu, [grayImage()]);
    expect(result.status).toBe(0);
    expect(result.printJobUid).toBeUndefined();
    expect(printedFilms).toBe(1);
    const action = p.sentByScp.find((c) => c.CommandField === CommandField['N-ACTION-RSP'])!;
    expect(action.CommandDataSetType).toBe(0x0101);
    await p.scu.release();
    await p.served;
    expect(p.sentByScp.some((c) => c.CommandField === CommandField['N-EVENT-REPORT-RQ'])).toBe(false);
  });

  it('print queue full: 0xC602 for a film box, 0xC601 for a film session; printing again once the job is done', async () => {
    const release = gate();
    const events = printEvents();
    const scp = printScp({ printJob: { queueLimit: 1, execute: () => release.wait } });
    const p = await pair(printerAe(), scp, printScuAe(), { handlers: events.handlers });
    const first = await printFilmJob(p.scu, [grayImage()]);
    expect(first.status).toBe(0);
    expect(await printFilmJob(p.scu, [grayImage()]).then((r) => r.status)).toBe(PrintStatus.FilmBoxPrintQueueFull);
    const o = { context: PrintClass.grayscaleMeta };
    const session = await p.scu.nCreate(PrintClass.filmSession, undefined, {}, o);
    await p.scu.nCreate(PrintClass.filmBox, undefined, { ...filmSessionRef(session.sopInstanceUid!), ImageDisplayFormat: 'STANDARD\\1,1' }, o);
    expect((await p.scu.nAction(PrintClass.filmSession, session.sopInstanceUid!, 1, null, o)).status).toBe(PrintStatus.SessionPrintQueueFull);
    expect((await p.scu.nDelete(PrintClass.filmSession, session.sopInstanceUid!, o)).status).toBe(0);
    release.open();
    await events.waitForJob(first.printJobUid!, { timeoutMs: 15_000 });
    const again = await printFilmJob(p.scu, [grayImage()]);
    expect(again.status).toBe(0);
    await events.waitForJob(again.printJobUid!, { timeoutMs: 15_000 });
    await p.scu.release();
  });

  it('one printer queue: jobs of two associations print one at a time, in order', async () => {
    const log: string[] = [];
    const firstStarted = gate();
    const release = gate();
    const scp = printScp({
      printJob: {
        async execute(job) {
          log.push(`start ${job.attributes.Originator}`);
          if (job.attributes.Originator === 'A') {
            firstStarted.open();
            await release.wait;
          }
          log.push(`end ${job.attributes.Originator}`);
        },
      },
    });
    const [ea, eb] = [printEvents(), printEvents()];
    const a = await pair(printerAe(), scp, printScuAe(undefined, 'A'), { handlers: ea.handlers });
    const b = await pair(printerAe(), scp, printScuAe(undefined, 'B'), { handlers: eb.handlers });
    const ja = await printFilmJob(a.scu, [grayImage()]);
    await firstStarted.wait;
    const jb = await printFilmJob(b.scu, [grayImage()]);
    // B's job waits in the queue while A's prints.
    expect((await getPrintJob(b.scu, jb.printJobUid!, [0x21000020])).dataset!.ExecutionStatus).toBe('PENDING');
    release.open();
    await ea.waitForJob(ja.printJobUid!, { timeoutMs: 15_000 });
    await eb.waitForJob(jb.printJobUid!, { timeoutMs: 15_000 });
    expect(log).toEqual(['start A', 'end A', 'start B', 'end B']);
    // Each association hears only about its own job.
    expect(ea.jobEvents(jb.printJobUid!)).toEqual([]);
    expect(eb.jobEvents(ja.printJobUid!)).toEqual([]);
    await Promise.all([a.scu.release(), b.scu.release()]);
  });

  it('an SCU without an event handler: the SCP gives up on each report after eventTimeoutMs, without aborting; the job still completes', async () => {
    const outcomes: string[] = [];
    const done = gate();
    const scp = printScp({
      eventTimeoutMs: 300,
      printJob: {
        onEvent: (_uid, status, o) => {
          outcomes.push(`${status} ${o.error ? 'unconfirmed' : 'confirmed'}`);
          if (status === 'DONE') done.open();
        },
      },
    });
    // Without `handlers` the SCU does not serve the SCP's requests at all.
    const p = await pair(printerAe(), scp, printScuAe());
    const result = await printFilmJob(p.scu, [grayImage()]);
    await done.wait;
    expect(outcomes).toEqual(['PENDING unconfirmed', 'PRINTING unconfirmed', 'DONE unconfirmed']);
    // Reports only inform: an SCU that does not answer them keeps its association (no DIMSE-timeout A-ABORT).
    expect(p.scu.isEstablished).toBe(true);
    await eventually(async () => (await getPrintJob(p.scu, result.printJobUid!)).status === 0x0112);
    await p.scu.release();
  });

  it('the SCU handler refuses unknown event types (0x0113) and classes (0x0118); waitForJob times out', async () => {
    const events = printEvents();
    const report = (sopClassUid: string, typeId: number, dataset: Dataset | null = null) => {
      const answer = events.handlers.nEventReport!({ sopClassUid, sopInstanceUid: '1.2.3', attributes: [], dataset, typeId }, {} as RequestContext) as NAnswer;
      void answer.afterResponse?.();
      return answer.status;
    };
    expect(report(PrintClass.printJob, 9)).toBe(0x0113);
    expect(report(PrintClass.printer, 4)).toBe(0x0113);
    expect(report(PrintClass.filmBox, 1)).toBe(0x0118);
    await expect(events.waitForJob('1.2.3', { timeoutMs: 50 })).rejects.toThrow(/within 50 ms/);
    expect(report(PrintClass.printJob, 3, { ExecutionStatusInfo: 'NORMAL' })).toBe(0);
    await expect(events.waitForJob('1.2.3', { timeoutMs: 5000 })).resolves.toMatchObject([{ status: 'DONE', executionStatusInfo: 'NORMAL' }]);
    expect(events.printerEvents).toEqual([]);
  });
});
