/**
 * Display System Management (PS3.4 Annex EE): the SCP handler over a memory pair (with and
 * without an Attribute Identifier List, as pynetdicom's example and list-less SCUs send it), and
 * the runnable demos (demo/display-system-scp.mjs, demo/display-system-scu.mjs) over TCP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandField } from '../../src/dimse/types';
import { DISPLAY_SYSTEM_INSTANCE, DISPLAY_SYSTEM_SOP_CLASS, displaySystemScp, getDisplaySystem } from '../../src/services/display-system';
import { ae, pair, problemsIn } from './n-helpers';

const root = fileURLToPath(new URL('../../', import.meta.url));
const attributes = { Manufacturer: 'ACME', ManufacturerModelName: 'Viewer 9', DeviceSerialNumber: 'SN-1' };

describe('displaySystemScp over a memory pair', () => {
  const scpAe = () => ae('DISPLAY').addSupportedContext(DISPLAY_SYSTEM_SOP_CLASS);
  const scuAe = () => ae('SCU').addRequestedContext(DISPLAY_SYSTEM_SOP_CLASS);

  it('answers the requested attributes with SOP Class UID and SOP Instance UID', async () => {
    const p = await pair(scpAe(), displaySystemScp({ attributes }), scuAe());
    const result = await getDisplaySystem(p.scu, [0x00080070]);
    await p.scu.release();
    expect(result.status).toBe(0);
    expect(result.dataset).toEqual({ Manufacturer: 'ACME', SOPClassUID: DISPLAY_SYSTEM_SOP_CLASS, SOPInstanceUID: DISPLAY_SYSTEM_INSTANCE });
    expect(result.command).toMatchObject({ AffectedSOPClassUID: DISPLAY_SYSTEM_SOP_CLASS, AffectedSOPInstanceUID: DISPLAY_SYSTEM_INSTANCE });
    expect(problemsIn([...p.sentByScu, ...p.sentByScp])).toEqual([]);
  });

  it('an N-GET without Attribute Identifier List gets every attribute', async () => {
    const p = await pair(scpAe(), displaySystemScp({ attributes: () => attributes }), scuAe());
    const result = await getDisplaySystem(p.scu);
    await p.scu.release();
    expect(p.sentByScu[0]!.AttributeIdentifierList).toBeUndefined();
    expect(result.dataset).toMatchObject({ ...attributes, SOPInstanceUID: DISPLAY_SYSTEM_INSTANCE });
  });

  it('a raw request shaped like pynetdicom send_n_get([(0x0008,0x0070)], ...) is answered', async () => {
    const p = await pair(scpAe(), displaySystemScp({ attributes }), scuAe());
    const context = p.scu.findContext(DISPLAY_SYSTEM_SOP_CLASS);
    await p.scu.send({
      CommandField: CommandField['N-GET-RQ'],
      MessageID: 1,
      CommandDataSetType: 0x0101,
      RequestedSOPClassUID: DISPLAY_SYSTEM_SOP_CLASS,
      RequestedSOPInstanceUID: DISPLAY_SYSTEM_INSTANCE,
      AttributeIdentifierList: [0x00080070],
    }, context.id);
    const rsp = await p.scu.dimse.expectMsg({ timeoutMs: 5000 });
    await p.scu.release();
    expect(rsp.command).toMatchObject({ CommandField: CommandField['N-GET-RSP'], Status: 0, MessageIDBeingRespondedTo: 1 });
    expect(rsp.dataset).not.toBeNull();
  });

  it('unknown attributes give 0x0107 naming them; another instance 0x0112', async () => {
    const p = await pair(scpAe(), displaySystemScp({ attributes }), scuAe());
    const partial = await getDisplaySystem(p.scu, [0x00080070, 0x00181020]);
    expect(partial.status).toBe(0x0107);
    expect(partial.category).toBe('Warning');
    expect(partial.command.OffendingElement).toEqual([0x00181020]);
    // PS3.7 C.4.2: the Attribute List warning names them in the Attribute Identifier List.
    expect(partial.command.AttributeIdentifierList).toEqual([0x00181020]);
    expect(partial.dataset).toMatchObject({ Manufacturer: 'ACME' });
    const other = await p.scu.nGet(DISPLAY_SYSTEM_SOP_CLASS, '1.2.3', [0x00080070]);
    expect(other.status).toBe(0x0112);
    await p.scu.release();
  });
});

describe('demo/display-system-scp.mjs + demo/display-system-scu.mjs over TCP', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  });

  const run = (args: string[]) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    return { child, output: () => out };
  };

  it.runIf(existsSync(`${root}dist/index.js`) && existsSync(`${root}dist/node.js`))(
    'the SCU prints the status and the attributes, Manufacturer among them',
    async () => {
      const scp = run(['demo/display-system-scp.mjs', '0']);
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`SCP did not start: ${scp.output()}`)), 15000);
        scp.child.stdout!.on('data', () => {
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(scp.output());
          if (m) (clearTimeout(timer), resolve(Number(m[1])));
        });
      });
      const scu = run(['demo/display-system-scu.mjs', '127.0.0.1', String(port)]);
      const code = await new Promise<number | null>((resolve) => scu.child.on('exit', resolve));
      expect(scu.output()).toMatch(/N-GET status: 0x0000/);
      expect(scu.output()).toMatch(/Manufacturer: netdicom/);
      expect(scu.output()).toMatch(/SOPInstanceUID: 1\.2\.840\.10008\.5\.1\.1\.40\.1/);
      expect(code).toBe(0);
      // The SCP keeps running after serving, until killed.
      expect(scp.child.exitCode).toBeNull();
      expect(scp.output()).toMatch(/N-GET from DISPLAY-SCU/);
      scp.child.kill('SIGTERM');
      expect(await new Promise((resolve) => scp.child.on('exit', (c, s) => resolve(c ?? s)))).toBe(0);
    },
  );
});
