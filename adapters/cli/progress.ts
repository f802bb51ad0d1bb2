/**
 * A one-line progress bar for terminals (files done/total, bytes, rate) and the summary line
 * printed at the end. Redraws at most 10 times a second; draws nothing when not a TTY.
 */

/** Where the bar is drawn: a writable with a TTY flag and width (process.stderr fits). */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const REDRAW_MS = 100;

/** Formats bytes as MB (10^6, as rates are usually quoted). */
export function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Tracks files and bytes; {@link ProgressBar.summary} gives the closing line. */
export class ProgressBar {
  private done = 0;
  private failed = 0;
  private bytes = 0;
  private sentBytes = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly started = performance.now();

  constructor(
    private readonly sink: ProgressSink,
    private readonly totalFiles: number,
    private readonly totalBytes: number,
    private readonly enabled = sink.isTTY === true,
  ) {}

  /** Data set bytes sent. */
  addBytes(n: number): void {
    this.bytes += n;
    this.draw(false);
  }

  /**
   * One file finished (ok or not); `bytes`: its data set size, counted as sent only when it went
   * through (the bar's running figure is bytes read, which includes a file read ahead that then failed).
   */
  fileDone(ok: boolean, bytes = 0): void {
    this.done++;
    if (ok) this.sentBytes += bytes;
    else this.failed++;
    this.draw(this.done === this.totalFiles);
  }

  /** Prints a message above the bar (the bar is redrawn on the next update). */
  log(line: string, out: (line: string) => void): void {
    this.clear();
    out(line);
  }

  /** Erases the bar, if drawn. */
  clear(): void {
    if (this.drawn) this.sink.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** Seconds since start and MB/s so far (of `bytes`: by default those read). */
  rate(bytes = this.bytes): { seconds: number; mbPerSecond: number } {
    const seconds = (performance.now() - this.started) / 1000;
    return { seconds, mbPerSecond: seconds > 0 ? bytes / 1e6 / seconds : 0 };
  }

  /** The closing line, e.g. "sent 49/50 files (1 failed, 2 skipped), 12.3 MB in 1.2 s, 10.2 MB/s": bytes of the files sent. */
  summary(skipped: number): string {
    const { seconds, mbPerSecond } = this.rate(this.sentBytes);
    const extra = [this.failed && `${this.failed} failed`, skipped && `${skipped} skipped`].filter(Boolean).join(', ');
    return (
      `sent ${this.done - this.failed}/${this.totalFiles} files${extra ? ` (${extra})` : ''}, ` +
      `${formatMB(this.sentBytes)} in ${seconds.toFixed(1)} s, ${mbPerSecond.toFixed(1)} MB/s`
    );
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const fraction = this.totalBytes > 0 ? Math.min(1, this.bytes / this.totalBytes) : this.done / Math.max(1, this.totalFiles);
    const text = ` ${this.done}/${this.totalFiles} files  ${formatMB(this.bytes)}/${formatMB(this.totalBytes)}  ${this.rate().mbPerSecond.toFixed(1)} MB/s`;
    const width = Math.max(10, Math.min(40, (this.sink.columns ?? 80) - text.length - 3));
    const filled = Math.round(fraction * width);
    this.sink.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${text}`);
    this.drawn = true;
  }
}
