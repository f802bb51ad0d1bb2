// The demo page: C-ECHO, C-FIND (patient/study/series), C-GET and C-STORE from the browser with the `netdicom` global
// (dist/netdicom.iife.js), through the WebSocket proxy on the page's own host at /pacs.
/* global netdicom */
(() => {
  'use strict';
  const { ApplicationEntity, SopClass, TransferSyntax, connectWebSocket, readPart10, describeStatus } = netdicom;
  const PROXY_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/pacs`;
  // The PACS's AE title: NETDICOM-PACS (the demo's own SCP) unless the page is opened with ?ae=TITLE.
  const PACS_AE = new URLSearchParams(location.search).get('ae') || 'NETDICOM-PACS';
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
    // UIDs in messages become names (e.g. "Study Root Query/Retrieve Information Model - FIND").
    const detail = (error && error.message ? error.message : String(error)).replace(/\b1\.2\.840\.10008\.[\d.]*\d/g, (uid) => netdicom.uidName(uid));
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
        return `The PACS does not offer this service, or does not accept this kind of object or encoding: ${detail}.`;
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

  // 2. C-FIND at PATIENT, STUDY and SERIES level
  const text = (v) => (Array.isArray(v) ? v.map(text).join('\\') : v && typeof v === 'object' ? (v.Alphabetic ?? '') : v == null ? '' : String(v));
  const formatDate = (d) => (/^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d);
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const first = (v) => (Array.isArray(v) ? v[0] : v);

  /** One C-FIND on its own association: the matches and the final response. */
  async function find(model, query) {
    const sopClass = model === 'patient' ? SopClass.PatientRootQueryRetrieveInformationModelFind : SopClass.StudyRootQueryRetrieveInformationModelFind;
    const ae = new ApplicationEntity({ aeTitle: 'BROWSER' }).addRequestedContext(sopClass);
    return withAssociation(ae, async (assoc) => {
      const matches = [];
      let final;
      for await (const result of assoc.cFind(query, { model })) {
        if (result.category === 'Pending' && result.identifier) matches.push(result.identifier);
        else final = result;
      }
      return { matches, final };
    });
  }

  /** Fills a table's body with one row per match; `onPick` makes rows clickable. */
  function fill(table, matches, cells, onPick) {
    const body = table.querySelector('tbody');
    body.replaceChildren();
    for (const m of matches) {
      const row = document.createElement('tr');
      for (const value of cells(m)) {
        const cell = document.createElement('td');
        if (value instanceof Node) cell.append(value);
        else cell.textContent = value;
        row.append(cell);
      }
      if (onPick) {
        row.className = 'pick';
        row.addEventListener('click', () => {
          for (const r of body.children) r.classList.toggle('chosen', r === row);
          onPick(m);
        });
      }
      body.append(row);
    }
    table.hidden = matches.length === 0;
  }

  const hide = (...ids) => ids.forEach((id) => ($(id).hidden = true));

  async function findPatients() {
    const box = $('find-status');
    hide('patients', 'results', 'series', 'series-status');
    show(box, 'busy', 'Searching patients…');
    try {
      const { matches, final } = await find('patient', {
        QueryRetrieveLevel: 'PATIENT',
        PatientName: $('patient-name').value.trim() || '*',
        PatientID: '',
        PatientBirthDate: '',
        PatientSex: '',
        NumberOfPatientRelatedStudies: '',
      });
      fill($('patients'), matches, (m) => [text(m.PatientName), text(m.PatientID), formatDate(text(m.PatientBirthDate)), text(m.PatientSex), text(m.NumberOfPatientRelatedStudies)],
        (m) => findStudies({ PatientID: text(m.PatientID) }));
      show(box, final && final.status === 0 ? 'ok' : 'error', `Found ${plural(matches.length, 'patient', 'patients')}. ${final ? statusWords(final, 'C-FIND') : ''}`);
    } catch (error) {
      show(box, 'error', errorWords(error));
    }
  }

  async function findStudies(filter) {
    const box = $('find-status');
    hide('results', 'series', 'series-status');
    if (!filter) hide('patients');
    show(box, 'busy', 'Searching studies…');
    try {
      const { matches, final } = await find('study', {
        QueryRetrieveLevel: 'STUDY',
        PatientName: filter ? '' : $('patient-name').value.trim() || '*',
        PatientID: filter ? filter.PatientID : '',
        StudyInstanceUID: '',
        StudyDate: '',
        StudyDescription: '',
        ModalitiesInStudy: '',
        NumberOfStudyRelatedInstances: '',
      });
      fill($('results'), matches,
        (m) => [text(m.PatientName), text(m.PatientID), formatDate(text(m.StudyDate)), text(m.StudyDescription), text(m.ModalitiesInStudy), text(m.NumberOfStudyRelatedInstances)],
        (m) => findSeries(m));
      const who = filter ? ` for patient ${filter.PatientID}` : '';
      show(box, final && final.status === 0 ? 'ok' : 'error', `Found ${plural(matches.length, 'study', 'studies')}${who}. ${final ? statusWords(final, 'C-FIND') : ''}`);
    } catch (error) {
      show(box, 'error', errorWords(error));
    }
  }

  async function findSeries(study) {
    const box = $('series-status');
    box.hidden = false;
    hide('series');
    const studyUid = text(study.StudyInstanceUID);
    show(box, 'busy', `Listing the series of ${text(study.StudyDescription) || studyUid}…`);
    try {
      const { matches, final } = await find('study', {
        QueryRetrieveLevel: 'SERIES',
        StudyInstanceUID: studyUid,
        SeriesInstanceUID: '',
        SeriesNumber: '',
        Modality: '',
        SeriesDescription: '',
        NumberOfSeriesRelatedInstances: '',
      });
      fill($('series'), matches, (m) => {
        const button = document.createElement('button');
        button.textContent = 'Retrieve (C-GET)';
        button.className = 'retrieve';
        button.addEventListener('click', (e) => {
          e.stopPropagation();
          busy(button, () => retrieveSeries(studyUid, text(m.SeriesInstanceUID)));
        });
        return [text(m.SeriesNumber), text(m.Modality), text(m.SeriesDescription), text(m.NumberOfSeriesRelatedInstances), button];
      });
      show(box, final && final.status === 0 ? 'ok' : 'error', `Found ${plural(matches.length, 'series', 'series')} in study ${studyUid}. ${final ? statusWords(final, 'C-FIND') : ''}`);
    } catch (error) {
      show(box, 'error', errorWords(error));
    }
  }

  $('find-patients').addEventListener('click', () => busy($('find-patients'), findPatients));
  $('find').addEventListener('click', () => busy($('find'), () => findStudies()));

  // 3. C-GET of a series: the PACS sends the instances back as C-STORE sub-operations on the same
  // association, so we propose the storage classes with ourselves in the SCP role.
  const STORAGE_CLASSES = [
    SopClass.CTImageStorage,
    SopClass.MRImageStorage,
    SopClass.SecondaryCaptureImageStorage,
    SopClass.ComputedRadiographyImageStorage,
    SopClass.DigitalXRayImageStorageForPresentation,
    SopClass.UltrasoundImageStorage,
    SopClass.EnhancedCTImageStorage,
    SopClass.EnhancedMRImageStorage,
  ].filter(Boolean);
  const UNCOMPRESSED = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];
  const sopClassName = (uid) => netdicom.uidName(uid);

  async function retrieveSeries(studyUid, seriesUid) {
    const box = $('retrieve-status');
    const bar = $('retrieve-progress');
    const table = $('instances');
    const body = table.querySelector('tbody');
    const images = $('images');
    body.replaceChildren();
    images.replaceChildren();
    table.hidden = true;
    bar.hidden = false;
    bar.value = 0;
    bar.max = 1;
    show(box, 'busy', `Retrieving series ${seriesUid}…`);
    // Up to 8 C-STORE sub-operations in flight, where the PACS agrees: over a WebSocket proxy each
    // one-at-a-time round trip costs ~1 ms, so the next instance should already be on its way.
    const ae = new ApplicationEntity({ aeTitle: 'BROWSER', asyncOps: { maxInvoked: 1, maxPerformed: 8 } }).addRequestedContext(SopClass.StudyRootQueryRetrieveInformationModelGet);
    for (const uid of STORAGE_CLASSES) ae.addRequestedContext(uid, UNCOMPRESSED, { scuRole: false, scpRole: true });
    let received = 0;
    const notes = [];
    try {
      const final = await withAssociation(ae, async (assoc) => {
        let last;
        const onStore = async (rq) => {
          const ds = await rq.dataset();
          received++;
          addInstance(received, rq, ds, body, images, notes);
          table.hidden = false;
          return 0;
        };
        for await (const progress of assoc.cGet({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: studyUid, SeriesInstanceUID: seriesUid }, { model: 'study', onStore })) {
          last = progress;
          if (progress.category === 'Pending') {
            const total = (progress.remaining ?? 0) + (progress.completed ?? 0) + (progress.failed ?? 0) + (progress.warning ?? 0);
            bar.max = Math.max(total, 1);
            bar.value = total - (progress.remaining ?? 0);
            show(box, 'busy', `Retrieving: ${progress.completed ?? 0} done, ${progress.remaining ?? '?'} to go…`);
          }
        }
        return last;
      });
      bar.value = bar.max;
      const counts = final ? `completed ${final.completed ?? received}, failed ${final.failed ?? 0}, warning ${final.warning ?? 0}` : '';
      const ok = final && final.category !== 'Failure' && (final.failed ?? 0) === 0;
      show(box, ok ? 'ok' : 'error',
        [`Retrieved ${plural(received, 'instance', 'instances')} (${counts}). ${final ? statusWords(final, 'C-GET') : 'No final response.'}`, ...notes].join('\n'));
    } catch (error) {
      show(box, 'error', [errorWords(error), ...notes].join('\n'));
    }
  }

  /** One row of basic facts per retrieved instance, and its image when we can draw it. */
  function addInstance(n, rq, ds, body, images, notes) {
    const rows = Number(first(ds.Rows)) || 0;
    const columns = Number(first(ds.Columns)) || 0;
    const bits = Number(first(ds.BitsAllocated)) || 0;
    const frames = ds.PixelData;
    const size = frames ? frames.reduce((total, f) => total + (f.byteLength ?? 0), 0) : 0;
    const row = document.createElement('tr');
    const cells = [
      String(n),
      sopClassName(rq.sopClassUid),
      rq.sopInstanceUid,
      `${Math.round(size / 1024 * 10) / 10} KiB`,
      rows ? `${columns}×${rows}, ${bits}-bit ${text(ds.PhotometricInterpretation)}` : '—',
      netdicom.uidName(rq.transferSyntax),
    ];
    for (const value of cells) {
      const cell = document.createElement('td');
      cell.textContent = value;
      row.append(cell);
    }
    body.append(row);
    const why = drawable(ds, rq.transferSyntax);
    if (why) {
      notes.push(`Instance ${n}: no image shown (${why}).`);
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = columns;
    canvas.height = rows;
    canvas.dataset.sopInstanceUid = rq.sopInstanceUid;
    draw(canvas, ds);
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = `#${text(ds.InstanceNumber) || n} ${text(ds.Modality)}`;
    figure.append(canvas, caption);
    images.append(figure);
  }

  /** Why an instance cannot be drawn here, or '' when it can (uncompressed 8/16-bit grayscale). */
  function drawable(ds, transferSyntax) {
    if (!ds.PixelData || !ds.PixelData[0]) return 'no pixel data';
    if (!UNCOMPRESSED.includes(transferSyntax)) return 'compressed pixel data';
    if ((Number(first(ds.SamplesPerPixel)) || 1) !== 1) return 'colour image';
    const pi = text(ds.PhotometricInterpretation);
    if (pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2') return `photometric interpretation ${pi || 'missing'}`;
    const bits = Number(first(ds.BitsAllocated));
    if (bits !== 8 && bits !== 16) return `${bits}-bit pixels`;
    const rows = Number(first(ds.Rows));
    const columns = Number(first(ds.Columns));
    if (!rows || !columns) return 'no image size';
    if (ds.PixelData[0].byteLength < rows * columns * (bits / 8)) return 'pixel data shorter than the image';
    return '';
  }

  /** Draws the first frame in grayscale with the data set's window, or the min/max of the pixels. */
  function draw(canvas, ds) {
    const rows = Number(first(ds.Rows));
    const columns = Number(first(ds.Columns));
    const bits = Number(first(ds.BitsAllocated));
    const signed = Number(first(ds.PixelRepresentation)) === 1;
    const count = rows * columns;
    const buffer = ds.PixelData[0];
    const Kind = bits === 8 ? (signed ? Int8Array : Uint8Array) : signed ? Int16Array : Uint16Array;
    const raw = new Kind(buffer.slice(0, count * Kind.BYTES_PER_ELEMENT));
    const slope = Number(first(ds.RescaleSlope) ?? 1) || 1;
    const intercept = Number(first(ds.RescaleIntercept) ?? 0) || 0;
    let low;
    let high;
    const center = Number(first(ds.WindowCenter));
    const width = Number(first(ds.WindowWidth));
    if (Number.isFinite(center) && Number.isFinite(width) && width > 0) {
      low = center - width / 2;
      high = center + width / 2;
    } else {
      low = Infinity;
      high = -Infinity;
      for (let i = 0; i < count; i++) {
        const v = raw[i] * slope + intercept;
        if (v < low) low = v;
        if (v > high) high = v;
      }
      if (high <= low) high = low + 1;
    }
    const invert = text(ds.PhotometricInterpretation) === 'MONOCHROME1';
    const context = canvas.getContext('2d');
    const image = context.createImageData(columns, rows);
    for (let i = 0; i < count; i++) {
      let g = Math.round(((raw[i] * slope + intercept - low) / (high - low)) * 255);
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      if (invert) g = 255 - g;
      image.data[i * 4] = image.data[i * 4 + 1] = image.data[i * 4 + 2] = g;
      image.data[i * 4 + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  // 4. C-STORE of local files (file input or drag and drop)
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
    if (chosen.length > 0 && !$('store').disabled) $('store').click();
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
