import type { CliContext } from '../context.js';

/**
 * One progress line: redrawn in place on a terminal, otherwise printed at most every few seconds
 * so logs stay readable.
 */
export function createProgress(ctx: CliContext, label: string, opts: { unit?: 'bytes' | 'items' } = {}) {
  const start = Date.now();
  let lastPrint = 0;
  let lastText = '';
  const fmt = (n: number) => (opts.unit === 'bytes' ? formatBytes(n) : n.toLocaleString('en-US'));
  const render = (item: string, done: number, total?: number, extra?: string) => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    if (total && total > 0) {
      const frac = Math.min(1, done / total);
      const width = 24;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const eta = rate > 0 ? ` eta ${formatDuration((total - done) / rate)}` : '';
      return `${label} ${item} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${fmt(done)}/${fmt(total)}${extra ? ` ${extra}` : ''}${eta}`;
    }
    return `${label} ${item} ${done ? fmt(done) : ''}${extra ? ` ${extra}` : ''}`.trimEnd();
  };
  return {
    /** `extra` is shown after the counts, e.g. a rate or a loss. */
    update(item: string, done: number, total?: number, extra?: string) {
      const text = render(item, done, total, extra);
      const now = Date.now();
      if (ctx.interactive) {
        if (now - lastPrint < 100 && !(total && done >= total)) return;
        ctx.stderr.write(`\r\x1b[2K${text}`);
      } else {
        const changedItem = !lastText.startsWith(`${label} ${item}`);
        if (!changedItem && now - lastPrint < 3000 && !(total && done >= total)) return;
        ctx.stderr.write(`${text}\n`);
      }
      lastPrint = now;
      lastText = text;
    },
    done() {
      if (ctx.interactive && lastText) ctx.stderr.write('\r\x1b[2K');
    },
  };
}

type Progress = ReturnType<typeof createProgress>;

/**
 * Several progress lines at once, one per key (a download and a conversion, or one per data repo),
 * each made on first use.
 */
export function createProgressGroup(ctx: CliContext) {
  const bars = new Map<string, Progress>();
  return {
    update(
      key: string,
      start: { label: string; unit?: 'bytes' | 'items' },
      item: string,
      done: number,
      total?: number,
    ) {
      let bar = bars.get(key);
      if (!bar) {
        bar = createProgress(ctx, start.label, { unit: start.unit });
        bars.set(key, bar);
      }
      bar.update(item, done, total);
    },
    done(key: string) {
      bars.get(key)?.done();
      bars.delete(key);
    },
    doneAll() {
      for (const key of [...bars.keys()]) this.done(key);
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
