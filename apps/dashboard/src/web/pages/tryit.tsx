import { useRef, useState } from 'preact/hooks';
import type { PredictAnswer, PredictTarget } from '../../shared/api.js';
import { post } from '../api.js';
import type { BrowserModel } from '../browser-model.js';
import { ErrorBox, Page, useApi } from '../components/load.js';

const SIZE = 28;
const SCALE = 10;

/**
 * An image as Fashion-MNIST sees it: 28×28 grey levels, garment light on a dark background. A photo is
 * fitted into the square, and inverted when its border is light (a garment photographed on white).
 */
function toPixels(source: CanvasImageSource, w: number, h: number): number[] {
  const c = document.createElement('canvas');
  c.width = SIZE;
  c.height = SIZE;
  const g = c.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  const k = Math.min(SIZE / w, SIZE / h);
  const dw = w * k;
  const dh = h * k;
  g.imageSmoothingQuality = 'high';
  g.drawImage(source, (SIZE - dw) / 2, (SIZE - dh) / 2, dw, dh);
  const { data } = g.getImageData(0, 0, SIZE, SIZE);
  const grey = Array.from({ length: SIZE * SIZE }, (_, i) => {
    const a = (data[i * 4 + 3] as number) / 255;
    return Math.round(
      a *
        (0.299 * (data[i * 4] as number) +
          0.587 * (data[i * 4 + 1] as number) +
          0.114 * (data[i * 4 + 2] as number)),
    );
  });
  let border = 0;
  for (let i = 0; i < SIZE; i++)
    border +=
      (grey[i] as number) +
      (grey[(SIZE - 1) * SIZE + i] as number) +
      (grey[i * SIZE] as number) +
      (grey[i * SIZE + SIZE - 1] as number);
  return border / (4 * SIZE) > 127 ? grey.map((v) => 255 - v) : grey;
}

function Top(props: { names: string[]; probabilities: number[]; id: string; note: string; seq: number }) {
  const ranked = props.probabilities
    .map((p, i) => ({ p, i }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 3);
  const best = ranked[0];
  return (
    <div class="result" id={props.id} data-seq={props.seq}>
      <p>
        <strong class="top-class">{best ? (props.names[best.i] ?? `class ${best.i}`) : '—'}</strong>{' '}
        <span class="muted">{props.note}</span>
      </p>
      <ul class="bars">
        {ranked.map(({ p, i }) => (
          <li key={i}>
            <span class="name">{props.names[i] ?? `class ${i}`}</span>
            <span class="bar" style={{ width: `${Math.round(p * 200)}px` }} />
            <span class="p">{(p * 100).toFixed(1)}%</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function TryPage(props: { target: string | null; model: string | null; version: string | null }) {
  const targets = useApi<PredictTarget[]>('/api/predict/targets');
  const [target, setTarget] = useState<string>(props.target ?? '');
  const canvas = useRef<HTMLCanvasElement>(null);
  const [pixels, setPixels] = useState<number[] | null>(null);
  const [server, setServer] = useState<PredictAnswer>();
  const [serverError, setServerError] = useState<unknown>();
  const [browser, setBrowser] = useState<{
    names: string[];
    probabilities: number[];
    ms: number;
    backend: string;
  }>();
  const [browserError, setBrowserError] = useState<unknown>();
  const [dragging, setDragging] = useState(false);
  // Which image the results are for: each classification gets the next number.
  const seq = useRef(0);
  const [shownSeq, setShownSeq] = useState(0);

  const list = targets.data ?? [];
  const chosen = list.find((t) => t.id === target) ?? (target ? undefined : list[0]);
  const model = props.model ?? chosen?.model;
  const version = props.version ? Number(props.version) : chosen?.version;

  const show = (p: number[]) => {
    const g = canvas.current?.getContext('2d');
    if (!g) return;
    const img = g.createImageData(SIZE, SIZE);
    p.forEach((v, i) => {
      img.data.set([v, v, v, 255], i * 4);
    });
    g.putImageData(img, 0, 0);
  };
  const clear = () => {
    const p = new Array<number>(SIZE * SIZE).fill(0);
    show(p);
    setPixels(null);
    setServer(undefined);
    setBrowser(undefined);
  };

  const classify = async (p: number[]) => {
    setPixels(p);
    setServer(undefined);
    setBrowser(undefined);
    setServerError(undefined);
    setBrowserError(undefined);
    seq.current += 1;
    setShownSeq(seq.current);
    if (chosen)
      post<PredictAnswer>('/api/predict', { target: chosen.id, pixels: p }).then(setServer, (e) => {
        setServer(undefined);
        setServerError(e);
      });
    else setServerError(new Error('no served model to ask: deploy one or run "npm start"'));
    if (model && version) {
      try {
        const { loadBrowserModel } = await import('../browser-model.js');
        const m: BrowserModel = await loadBrowserModel(model, version);
        const r = m.predict(p);
        setBrowser({ names: m.classNames, probabilities: r.probabilities, ms: r.ms, backend: m.backend });
      } catch (e) {
        setBrowser(undefined);
        setBrowserError(e);
      }
    } else setBrowserError(new Error('no model version to load in the browser'));
  };

  const readFile = (file: File | undefined) => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      const p = toPixels(img, img.naturalWidth, img.naturalHeight);
      URL.revokeObjectURL(url);
      show(p);
      void classify(p);
    };
    img.onerror = () => setServerError(new Error(`${file.name} is not an image this browser can read`));
    img.src = url;
  };

  // Drawing: white strokes on the 28×28 canvas, classified when the pen lifts.
  const drawing = useRef(false);
  const paint = (e: PointerEvent) => {
    const c = canvas.current;
    if (!drawing.current || !c) return;
    const r = c.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * SIZE;
    const y = ((e.clientY - r.top) / r.height) * SIZE;
    const g = c.getContext('2d') as CanvasRenderingContext2D;
    g.fillStyle = '#fff';
    g.beginPath();
    g.arc(x, y, 1.3, 0, Math.PI * 2);
    g.fill();
  };
  const lift = () => {
    if (!drawing.current || !canvas.current) return;
    drawing.current = false;
    const g = canvas.current.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
    const { data } = g.getImageData(0, 0, SIZE, SIZE);
    // Never-painted pixels are transparent: weigh by alpha so they count as background.
    void classify(
      Array.from({ length: SIZE * SIZE }, (_, i) =>
        Math.round(((data[i * 4] as number) * (data[i * 4 + 3] as number)) / 255),
      ),
    );
  };

  return (
    <section>
      <h1>Try it</h1>
      <Page loaded={targets}>
        {(ts) => (
          <>
            <p>
              <label>
                served model{' '}
                <select
                  value={chosen?.id ?? ''}
                  onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}
                  aria-label="served model"
                >
                  {ts.length === 0 ? <option value="">none serving</option> : null}
                  {ts.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.label}
                    </option>
                  ))}
                </select>
              </label>{' '}
              <span class="muted">
                in the browser: {model && version ? `${model} v${version}` : 'no version'}
              </span>
            </p>
            <div class="try">
              <section
                aria-label="drop a photo here"
                class={dragging ? 'drop over' : 'drop'}
                onDragOver={(e) => {
                  e.preventDefault();
                  setDragging(true);
                }}
                onDragLeave={() => setDragging(false)}
                onDrop={(e) => {
                  e.preventDefault();
                  setDragging(false);
                  readFile(e.dataTransfer?.files[0]);
                }}
              >
                <canvas
                  ref={canvas}
                  width={SIZE}
                  height={SIZE}
                  style={{ width: `${SIZE * SCALE}px`, height: `${SIZE * SCALE}px` }}
                  aria-label="28 by 28 drawing canvas"
                  onPointerDown={(e) => {
                    drawing.current = true;
                    paint(e);
                  }}
                  onPointerMove={paint}
                  onPointerUp={lift}
                  onPointerLeave={lift}
                />
                <p class="muted">Draw a garment here, or drop a photo, or</p>
                <input
                  type="file"
                  accept="image/*"
                  aria-label="upload a photo"
                  onChange={(e) => readFile((e.target as HTMLInputElement).files?.[0])}
                />{' '}
                <button type="button" onClick={clear}>
                  Clear
                </button>
              </section>
              <div class="results">
                <h2>Served model (Seldon v1 request)</h2>
                {serverError ? <ErrorBox error={serverError} /> : null}
                {server ? (
                  <Top
                    id="server-result"
                    names={server.classNames}
                    probabilities={server.probabilities}
                    note={`${server.ms.toFixed(0)} ms`}
                    seq={shownSeq}
                  />
                ) : pixels ? (
                  <p class="muted">asking…</p>
                ) : (
                  <p class="muted">Draw or upload a garment: the top classes appear here.</p>
                )}
                <h2>In this browser (TensorFlow.js)</h2>
                {browserError ? <ErrorBox error={browserError} /> : null}
                {browser ? (
                  <Top
                    id="browser-result"
                    names={browser.names}
                    probabilities={browser.probabilities}
                    note={`${browser.ms.toFixed(0)} ms on ${browser.backend}`}
                    seq={shownSeq}
                  />
                ) : pixels ? (
                  <p class="muted">loading the model…</p>
                ) : (
                  <p class="muted">The same image, classified here by the version's saved model.</p>
                )}
              </div>
            </div>
          </>
        )}
      </Page>
    </section>
  );
}
