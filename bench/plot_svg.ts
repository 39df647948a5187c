// Line charts as hand-written SVG: one panel per x axis, one polyline per series, no dependencies.

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  series: Series[];
}

const COLORS = ['#1b6ef3', '#e8590c', '#2f9e44', '#ae3ec9', '#868e96', '#f03e3e'];
const W = 620;
const H = 340;
// The legend sits in the right margin, clear of the lines.
const M = { left: 56, right: 136, top: 32, bottom: 48 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 1e6 ? `${(v / 1e6).toPrecision(3)}M` : Math.abs(v) >= 1e3 ? `${(v / 1e3).toPrecision(3)}k` : `${Number(v.toPrecision(3))}`);

function panelSvg(p: Panel, dx: number): string {
  const pts = p.series.flatMap((s) => s.points).filter((q) => !p.logX || q.x > 0);
  const tx = (x: number) => (p.logX ? Math.log10(x) : x);
  const xs = pts.map((q) => tx(q.x));
  // Time axes start at the run's start; a log axis starts at its smallest value.
  const x0 = p.logX ? (xs.length ? Math.min(...xs) : 0) : 0;
  const x1 = xs.length ? Math.max(...xs, x0 + 1e-9) : 1;
  const ys = pts.map((q) => q.y);
  const y0 = Math.max(0, Math.floor((ys.length ? Math.min(...ys) : 0) * 10) / 10);
  const y1 = Math.min(1, Math.ceil((ys.length ? Math.max(...ys) : 1) * 10) / 10 || 1);
  const px = (x: number) => dx + M.left + ((tx(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => M.top + (1 - (y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const out: string[] = [`<text x="${dx + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    out.push(`<line x1="${dx + M.left}" x2="${dx + W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`, `<text x="${dx + M.left - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`);
    const xv = x0 + ((x1 - x0) * k) / 4;
    const xr = p.logX ? 10 ** xv : xv;
    out.push(`<text x="${px(xr)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(xr)}</text>`);
  }
  out.push(`<text x="${dx + W / 2}" y="${H - 10}" text-anchor="middle">${esc(p.xLabel)}</text>`, `<text transform="translate(${dx + 14} ${H / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const line = s.points.filter((q) => !p.logX || q.x > 0).map((q) => `${px(q.x).toFixed(1)},${py(q.y).toFixed(1)}`).join(' ');
    const color = COLORS[i % COLORS.length];
    if (line) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${line}"/>`);
    const lx = dx + W - M.right + 12;
    out.push(`<rect x="${lx}" y="${M.top + 6 + i * 16}" width="10" height="10" fill="${color}"/>`, `<text x="${lx + 14}" y="${M.top + 15 + i * 16}">${esc(s.label)}</text>`);
  });
  return out.join('\n');
}

/** Panels side by side in one SVG document. */
export function lineChartsSvg(panels: Panel[]): string {
  const body = panels.map((p, i) => panelSvg(p, i * W)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
