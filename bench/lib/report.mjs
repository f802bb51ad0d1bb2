/**
 * Bench statistics and reports: medians with min–max per variant, the ratio to the row's DCMTK
 * reference, the machine description, and the Markdown table.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Value of one metric for one sample. */
function metric(name, s) {
  switch (name) {
    case 'MB/s':
      return s.bytes / 1e6 / s.seconds;
    case 'SCP RSS':
      return (s.scpPeakKib ?? 0) / 1024;
    case 'SCU RSS':
      return (s.scuPeakKib ?? 0) / 1024;
    case 'proxy RSS':
      return (s.proxyPeakKib ?? 0) / 1024;
    default: // ops/s, files/s, matches/s
      return s.ops / s.seconds;
  }
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const unit = (name) => (name.endsWith('RSS') ? ' MiB' : '');

/** Per-variant medians/min/max and ratios; `lines` for the console. */
export function summarize(row, samples) {
  const variants = row.variants.map((v) => {
    const list = samples[v.id];
    const metrics = Object.fromEntries(
      row.metrics.map((m) => {
        const xs = list.map((s) => metric(m, s));
        return [m, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }];
      }),
    );
    return { id: v.id, label: v.label, metrics, samples: list.map(({ output, ...s }) => s) };
  });
  const primary = row.metrics[0];
  const ref = row.ref && variants.find((v) => v.id === row.ref);
  for (const v of variants) if (ref) v.ratio = v.metrics[primary].median / ref.metrics[primary].median;
  // Labels padded to the row's longest, so the figures line up ("…, both warmed" is long).
  const width = Math.max(26, ...variants.map((v) => v.label.length));
  const lines = variants.map((v) => {
    // A peak no process of this variant had (the proxy's, on the direct variant) is left out.
    const shown = row.metrics.filter((m) => !m.endsWith('RSS') || v.metrics[m].max > 0);
    const parts = shown.map((m) => {
      const x = v.metrics[m];
      return `${fmt(x.median)}${unit(m)} ${m} [${fmt(x.min)}–${fmt(x.max)}]`;
    });
    const ratio = v.ratio !== undefined && v.id !== row.ref ? `  ×${v.ratio.toFixed(2)} vs ${ref.label}` : '';
    return `${v.label.padEnd(width)} ${parts.join('  ')}${ratio}`;
  });
  return { id: row.id, title: row.title, note: row.note, metrics: row.metrics, ref: row.ref, variants, lines };
}

/** CPU, cores, Node, DCMTK, kernel, load. */
export async function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  let dcmtk = 'unknown';
  try {
    dcmtk = /v(\d+\.\d+\.\d+)/.exec(execFileSync('storescp', ['--version'], { encoding: 'utf8' }))?.[1] ?? dcmtk;
  } catch {}
  return { cpu: model, cores: cpus().length, node: process.version, dcmtk, kernel: release(), loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))) };
}

/** The Markdown report: machine line, then one table (medians, [min–max], ratio). */
export function renderMarkdown(report) {
  const m = report.machine;
  const out = [
    `# netdicom vs DCMTK — loopback benchmark`,
    '',
    `${report.date.slice(0, 10)} · ${m.cpu}, ${m.cores} cores · Node ${m.node} · DCMTK ${m.dcmtk} (TCP_NODELAY=1) · Linux ${m.kernel} · ` +
      `${report.mode} mode, ${report.reps} repetitions, alternating · load average at end ${m.loadAverageAtEnd.join(' ')}`,
    '',
    'Medians with [min–max]. Ratio = median / the row\'s DCMTK reference (marked *ref*); > 1 means faster than DCMTK. ' +
      'netdicom SCUs time connect → release in-process; DCMTK tools are timed as wall time minus their start-up ' +
      `(${Object.entries(report.baselinesMs).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}). Received files go to tmpfs, no fsync on either side.`,
    '',
    '| Row | SCU → SCP | Result | Ratio | Peak RSS SCP / SCU |',
    '|---|---|---|---|---|',
  ];
  for (const row of report.rows) {
    row.variants.forEach((v, i) => {
      const result = row.metrics
        .filter((k) => !k.endsWith('RSS'))
        .map((k) => `${fmt(v.metrics[k].median)} ${k} [${fmt(v.metrics[k].min)}–${fmt(v.metrics[k].max)}]`)
        .join(', ');
      const ratio =
        v.id === row.ref ? '*ref*' : v.ratio !== undefined ? `${v.ratio.toFixed(2)}×` : v.ofCeiling !== undefined ? `${v.ofCeiling.toFixed(2)}× of the ${v.ceiling ?? 'TCP ceiling'}` : '';
      const rssOf = (k) => (v.samples.some((s) => s[k]) ? `${fmt(median(v.samples.map((s) => (s[k] ?? 0) / 1024)))}` : '–');
      const proxyRss = row.metrics.includes('proxy RSS') && v.samples.some((s) => s.proxyPeakKib) ? ` (proxy ${rssOf('proxyPeakKib')})` : '';
      const rss = row.metrics.includes('SCP RSS') ? `${rssOf('scpPeakKib')} / ${rssOf('scuPeakKib')} MiB${proxyRss}` : '';
      out.push(`| ${i === 0 ? row.title : ''} | ${v.label} | ${result} | ${ratio} | ${rss} |`);
    });
  }
  const notes = report.rows.filter((r) => r.note).map((r) => `- ${r.title}: ${r.note}`);
  if (notes.length) out.push('', ...notes);
  out.push('', `Command: \`npm run bench${report.mode === 'full' ? ' -- --full' : ''}\` (${report.totalSeconds.toFixed(0)} s).`, '');
  return out.join('\n');
}
