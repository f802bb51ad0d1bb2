// The demo page: C-ECHO, C-FIND and C-STORE from the browser with the `netdicom` global
// (dist/netdicom.iife.js), through the WebSocket proxy on the page's own host at /pacs.
/* global netdicom */
(() => {
  'use strict';
  const { ApplicationEntity, SopClass, TransferSyntax, connectWebSocket, readPart10, describeStatus } = netdicom;
  const PROXY_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/pacs`;
  const PACS_AE = 'NETDICOM-PACS';
  const $ = (id) => document.getElementById(id);
  $('proxy-url').textContent = PROXY_URL;
  $('pacs-ae').textContent = PACS_AE;

  /** Shows a message in a status box: kind is 'busy', 'ok' or 'error'. */
  function show(box, kind, message) {
    box.className = `status ${kind}`;
    box.textContent = message;
  }

  /** A status in plain words, with the code for the curious. */
  function statusWords(rsp, service) {
    const hex = `0x${rsp.status.toString(16).padStart(4, '0').toUpperCase()}`;
    const comment = rsp.command && rsp.command.ErrorComment ? ` — ${rsp.command.ErrorComment}` : '';
    return `${describeStatus(rsp.status, service)} (DIMSE status ${hex})${comment}`;
  }

  /** What went wrong, for a person rather than a log. */
  function errorWords(error) {
    const detail = error && error.message ? error.message : String(error);
    switch (error && error.name) {
      case 'TransportError':
        return `Could not talk to the PACS through the proxy. ${detail}`;
      case 'TimeoutError':
        return `The PACS did not answer in time. ${detail}`;
      case 'AssociationRejectedError':
        return `The PACS refused the association. ${detail}`;
      case 'AssociationAbortedError':
        return `The connection was aborted. ${detail}`;
      case 'NegotiationError':
        return `The PACS does not accept this kind of object or encoding. ${detail}`;
      default:
        return `Something went wrong: ${detail}`;
    }
  }

  /** Opens an association, runs `work`, releases (or aborts if releasing fails). */
  async function withAssociation(ae, work) {
    const transport = await connectWebSocket(PROXY_URL, { timeoutMs: 10000 });
    const assoc = await ae.associate(transport, { calledAeTitle: PACS_AE });
    try {
      return await work(assoc);
    } finally {
      await assoc.release().catch(() => assoc.abort());
    }
  }

  async function busy(button, work) {
    button.disabled = true;
    try {
      await work();
    } finally {
      button.disabled = false;
    }
  }

  // 1. C-ECHO
  $('echo').addEventListener('click', () =>
    busy($('echo'), async () => {
      const box = $('echo-status');
      show(box, 'busy', 'Connecting…');
      const started = performance.now();
      try {
        const ae = new ApplicationEntity({ aeTitle: 'BROWSER' }).addRequestedContext(SopClass.Verification);
        const rsp = await withAssociation(ae, (assoc) => assoc.cEcho());
        const ms = Math.round(performance.now() - started);
        show(box, rsp.status === 0 ? 'ok' : 'error', `Echo: ${statusWords(rsp, 'C-ECHO')}, round trip with association ${ms} ms.`);
      } catch (error) {
        show(box, 'error', errorWords(error));
      }
    }),
  );

  // 2. C-FIND at STUDY level
  const text = (v) => (Array.isArray(v) ? v.map(text).join('\\') : v && typeof v === 'object' ? (v.Alphabetic ?? '') : v == null ? '' : String(v));
  const formatDate = (d) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d);

  $('find').addEventListener('click', () =>
    busy($('find'), async () => {
      const box = $('find-status');
      const table = $('results');
      const body = table.querySelector('tbody');
      body.replaceChildren();
      table.hidden = true;
      show(box, 'busy', 'Searching…');
      const query = {
        QueryRetrieveLevel: 'STUDY',
        PatientName: $('patient-name').value.trim() || '*',
        PatientID: '',
        StudyInstanceUID: '',
        StudyDate: '',
        StudyDescription: '',
        ModalitiesInStudy: '',
        NumberOfStudyRelatedInstances: '',
      };
      try {
        const ae = new ApplicationEntity({ aeTitle: 'BROWSER' }).addRequestedContext(SopClass.StudyRootQueryRetrieveInformationModelFind);
        const { matches, final } = await withAssociation(ae, async (assoc) => {
          const matches = [];
          let final;
          for await (const result of assoc.cFind(query, { model: 'study' })) {
            if (result.category === 'Pending' && result.identifier) matches.push(result.identifier);
            else final = result;
          }
          return { matches, final };
        });
        for (const m of matches) {
          const row = document.createElement('tr');
          for (const value of [text(m.PatientName), text(m.PatientID), formatDate(text(m.StudyDate)), text(m.StudyDescription), text(m.ModalitiesInStudy), text(m.NumberOfStudyRelatedInstances)]) {
            const cell = document.createElement('td');
            cell.textContent = value;
            row.append(cell);
          }
          body.append(row);
        }
        table.hidden = matches.length === 0;
        const ok = final && final.status === 0;
        show(box, ok ? 'ok' : 'error', `Found ${matches.length} ${matches.length === 1 ? 'study' : 'studies'}. ${final ? statusWords(final, 'C-FIND') : ''}`);
      } catch (error) {
        show(box, 'error', errorWords(error));
      }
    }),
  );

  // 3. C-STORE of local files (file input or drag and drop)
  let chosen = [];
  const choose = (files) => {
    chosen = [...files];
    $('store').disabled = chosen.length === 0;
    show($('store-status'), '', chosen.length ? `${chosen.length} file(s) chosen: ${chosen.map((f) => f.name).join(', ')}` : 'Choose one or more DICOM Part 10 files.');
  };
  $('files').addEventListener('change', (e) => choose(e.target.files));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    choose(e.dataTransfer.files);
  });

  $('store').addEventListener('click', () =>
    busy($('store'), async () => {
      const box = $('store-status');
      const bar = $('store-progress');
      const files = [];
      const problems = [];
      show(box, 'busy', 'Reading files…');
      for (const file of chosen) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        try {
          files.push({ name: file.name, bytes, p10: readPart10(bytes) });
        } catch {
          problems.push(`${file.name}: not a DICOM Part 10 file (no "DICM" header), skipped`);
        }
      }
      if (files.length === 0) return show(box, 'error', problems.join('\n') || 'No files chosen.');
      const total = files.reduce((n, f) => n + f.bytes.byteLength, 0);
      bar.hidden = false;
      bar.max = total;
      bar.value = 0;
      show(box, 'busy', `Storing ${files.length} file(s)…`);
      // One context per SOP class, offering the file's own transfer syntax (never transcoded).
      const ae = new ApplicationEntity({ aeTitle: 'BROWSER' });
      const syntaxes = new Map();
      for (const f of files) syntaxes.set(f.p10.sopClassUid, new Set([...(syntaxes.get(f.p10.sopClassUid) ?? []), f.p10.transferSyntaxUid]));
      for (const [sopClass, ts] of syntaxes) ae.addRequestedContext(sopClass, [...ts, TransferSyntax.ExplicitVRLittleEndian]);
      const lines = [];
      let stored = 0;
      try {
        await withAssociation(ae, async (assoc) => {
          let done = 0;
          for (const f of files) {
            show(box, 'busy', `Storing ${f.name} (${stored + 1} of ${files.length})…`);
            try {
              const rsp = await assoc.cStore({ part10: f.bytes });
              if (rsp.category !== 'Failure') stored++;
              lines.push(`${f.name}: ${statusWords(rsp, 'C-STORE')}`);
            } catch (error) {
              lines.push(`${f.name}: ${errorWords(error)}`);
              if (!assoc.isEstablished) throw error;
            }
            done += f.bytes.byteLength;
            bar.value = done;
          }
        });
        const kb = Math.round(total / 1024);
        show(box, stored === files.length && problems.length === 0 ? 'ok' : 'error',
          [`Stored ${stored} of ${files.length} file(s), ${kb} KiB.`, ...lines, ...problems].join('\n'));
      } catch (error) {
        show(box, 'error', [errorWords(error), ...lines, ...problems].join('\n'));
      }
    }),
  );
})();
