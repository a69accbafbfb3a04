// The canvas the user draws a digit on, with a mouse, a pen or a finger (pointer events). It keeps
// the strokes as paths, which digit-pixels.ts turns into the model's 784 pixels; the canvas itself
// only shows them.

import type { Point, Stroke } from "./digit-pixels.ts";

// Points closer than this to the last one (in the pad's pixels) add nothing to the path.
const MIN_STEP = 2;

export class DrawingPad {
  readonly strokes: Stroke[] = [];
  private drawing: Stroke | null = null;
  private readonly context: CanvasRenderingContext2D;

  // `onChange` runs as the digit changes: during a stroke and when it ends.
  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
  ) {
    this.context = canvas.getContext("2d")!;
    canvas.style.touchAction = "none"; // a finger draws instead of scrolling the page
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.drawing = [this.point(event)];
      this.strokes.push(this.drawing);
      this.render();
      this.onChange();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.drawing) return;
      const point = this.point(event);
      const last = this.drawing[this.drawing.length - 1]!;
      if (Math.hypot(point.x - last.x, point.y - last.y) < MIN_STEP) return;
      this.drawing.push(point);
      this.render();
      this.onChange();
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = null;
      this.onChange();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    this.render();
  }

  // The pad's width in its own coordinates (the canvas's pixels).
  get size(): number {
    return this.canvas.width;
  }

  clear(): void {
    this.strokes.length = 0;
    this.drawing = null;
    this.render();
    this.onChange();
  }

  // The pointer's position in the canvas's pixels, whatever size CSS displays it at.
  private point(event: PointerEvent): Point {
    const box = this.canvas.getBoundingClientRect();
    return { x: ((event.clientX - box.left) / box.width) * this.canvas.width, y: ((event.clientY - box.top) / box.height) * this.canvas.height };
  }

  private render(): void {
    const { context: c, canvas } = this;
    c.fillStyle = "#fff";
    c.fillRect(0, 0, canvas.width, canvas.height);
    c.strokeStyle = "#111";
    c.fillStyle = "#111";
    c.lineWidth = canvas.width / 14;
    c.lineCap = "round";
    c.lineJoin = "round";
    for (const stroke of this.strokes) {
      c.beginPath();
      c.moveTo(stroke[0]!.x, stroke[0]!.y);
      for (const p of stroke.slice(1)) c.lineTo(p.x, p.y);
      if (stroke.length === 1) c.lineTo(stroke[0]!.x + 0.01, stroke[0]!.y); // a dot
      c.stroke();
    }
  }
}

// Shows 784 pixels (MNIST's: 1 is ink) as the 28×28 image the model sees.
export function showPixels(canvas: HTMLCanvasElement, pixels: Float32Array | null): void {
  const c = canvas.getContext("2d")!;
  const image = c.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - Math.round(255 * (pixels?.[i] ?? 0));
    image.data.set([v, v, v, 255], 4 * i);
  }
  c.putImageData(image, 0, 0);
}
