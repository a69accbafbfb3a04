// The training loss as it falls: every step's loss (a thin line, noisy because each is one
// mini-batch's) and its running mean over the last few steps (the thick line, the trend), against
// the step, on a canvas redrawn as steps arrive.

const SMOOTHING = 10; // steps in the running mean
const MARGIN = { left: 44, right: 12, top: 12, bottom: 28 };

export class LossChart {
  private readonly context: CanvasRenderingContext2D;
  private readonly width: number;
  private readonly height: number;

  constructor(private readonly canvas: HTMLCanvasElement) {
    // Drawn at the screen's pixel density, so lines stay sharp on high-density displays.
    const scale = window.devicePixelRatio || 1;
    this.width = canvas.width;
    this.height = canvas.height;
    canvas.style.width = `${this.width}px`;
    canvas.style.height = `${this.height}px`;
    canvas.width = this.width * scale;
    canvas.height = this.height * scale;
    this.context = canvas.getContext("2d")!;
    this.context.scale(scale, scale);
    this.draw([], 1);
  }

  // `losses[i]` is step i + 1's loss; the x axis runs to `totalSteps`.
  draw(losses: readonly number[], totalSteps: number): void {
    const c = this.context;
    const [w, h] = [this.width - MARGIN.left - MARGIN.right, this.height - MARGIN.top - MARGIN.bottom];
    const top = niceCeiling(Math.max(0.5, ...losses.slice(0, 5)));
    const x = (step: number) => MARGIN.left + (w * step) / Math.max(totalSteps, 1);
    const y = (loss: number) => MARGIN.top + h * (1 - Math.min(loss, top) / top);
    c.clearRect(0, 0, this.width, this.height);
    c.font = "11px system-ui, sans-serif";
    c.lineWidth = 1;
    c.fillStyle = "#555";
    c.strokeStyle = "#e4e4e4";
    c.textAlign = "right";
    c.textBaseline = "middle";
    for (const tick of ticks(top)) {
      c.beginPath();
      c.moveTo(MARGIN.left, y(tick));
      c.lineTo(MARGIN.left + w, y(tick));
      c.stroke();
      c.fillText(String(tick), MARGIN.left - 6, y(tick));
    }
    c.textAlign = "center";
    c.textBaseline = "top";
    for (const step of ticks(totalSteps).filter(Number.isInteger)) c.fillText(String(step), x(step), MARGIN.top + h + 6);
    c.save();
    c.translate(12, MARGIN.top + h / 2);
    c.rotate(-Math.PI / 2);
    c.fillText("loss", 0, -6);
    c.restore();

    const line = (values: readonly number[], style: string, width: number) => {
      c.strokeStyle = style;
      c.lineWidth = width;
      c.beginPath();
      values.forEach((v, i) => (i === 0 ? c.moveTo(x(i + 1), y(v)) : c.lineTo(x(i + 1), y(v))));
      c.stroke();
    };
    line(losses, "#9ec5f0", 1);
    line(runningMean(losses, SMOOTHING), "#1f63b5", 2.5);
  }
}

function runningMean(values: readonly number[], window: number): number[] {
  let sum = 0;
  return values.map((v, i) => {
    sum += v - (i >= window ? values[i - window]! : 0);
    return sum / Math.min(i + 1, window);
  });
}

// The smallest of 1, 2, 2.5, 5 × a power of ten at or above `value`.
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((v) => v >= value)!;
}

// About five evenly spaced round values from 0 to `top`.
function ticks(top: number): number[] {
  const step = niceCeiling(top / 5);
  const count = Math.floor(top / step + 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Math.round(i * step * 1e6) / 1e6);
}
