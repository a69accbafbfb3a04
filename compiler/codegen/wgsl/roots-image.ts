// Convolution and pooling kernels over NCHW tensors, each written as a gather: one invocation per
// output element reads everything that contributes to it, so no two invocations write the same
// element and no atomics are needed. The adjoints (conv2d_grad_input, maxpool2d_grad,
// avgpool2d_grad) walk the windows that cover an input position instead of scattering. Windows,
// argmax ties (the first largest in row-major order, NaN wins) and padding follow the CPU
// runtime (runtime/cpu/conv.ts, pool.ts) exactly.

import type { Shape } from "../../ir/graph.ts";
import { dim, product } from "./dims.ts";
import { f32 } from "./literals.ts";
import { GROUP, type RootContext, type RootKernel } from "./roots.ts";

type Pair = [number, number];

// The four coordinates of flat index `index` in an NCHW shape, as `let` lines.
function nchw(index: string, shape: Shape, names: [string, string, string, string]): string[] {
  const [, c, h, w] = shape.map(dim) as [string, string, string, string];
  return [
    `let ${names[3]} = ${index} % ${w};`,
    `let ${names[2]} = (${index} / ${w}) % ${h};`,
    `let ${names[1]} = (${index} / (${w} * ${h})) % ${c};`,
    `let ${names[0]} = ${index} / (${w} * ${h} * ${c});`,
  ];
}

const i32 = (n: number) => `${n}i`;

// y[n, o, oy, ox] = Σ_c,ki,kj x[n, c, oy·sh + ki − ph, ox·sw + kj − pw] · w[o, c, ki, kj]
export function conv2d({ node, operand, shapeOf }: RootContext<"conv2d">): RootKernel {
  const [, c, h, w] = shapeOf(0).map(dim);
  const [, , kh, kw] = shapeOf(1) as number[];
  const { stride, padding } = node.attrs;
  const x = operand(0);
  const weight = operand(1);
  return {
    mode: "element",
    count: node.shape,
    body: [
      ...nchw("i", node.shape, ["n", "o", "oy", "ox"]),
      `var acc = 0.0f;`,
      `for (var ci = 0u; ci < ${c}; ci++) {`,
      `  for (var ki = 0u; ki < ${kh}u; ki++) {`,
      `    let iy = i32(oy * ${stride[0]}u + ki) - ${i32(padding[0])};`,
      `    if (iy < 0i || iy >= i32(${h})) { continue; }`,
      `    for (var kj = 0u; kj < ${kw}u; kj++) {`,
      `      let ix = i32(ox * ${stride[1]}u + kj) - ${i32(padding[1])};`,
      `      if (ix < 0i || ix >= i32(${w})) { continue; }`,
      `      acc += ${x(`((n * ${c} + ci) * ${h} + u32(iy)) * ${w} + u32(ix)`)} * ${weight(`((o * ${c} + ci) * ${kh}u + ki) * ${kw}u + kj`)};`,
      `    }`,
      `  }`,
      `}`,
      `return acc;`,
    ].join("\n  "),
  };
}

// The output positions (oy, ox) whose window reads input row iy (column ix): oy·s − p + k = iy for
// some k in [0, K), i.e. oy = (iy + p − k)/s when that divides exactly and lies in [0, OH). k runs
// down, so the windows come in the order the CPU runtime visits them (oy up) and sums round alike.
function coveringLoop(axis: "y" | "x", input: string, kernel: number, stride: number, pad: number, outSize: string, body: string[]): string[] {
  const k = `k${axis}`;
  const o = `o${axis}`;
  return [
    `for (var ${k} = ${i32(kernel - 1)}; ${k} >= 0i; ${k}--) {`,
    `  let t${axis} = i32(${input}) + ${i32(pad)} - ${k};`,
    `  if (t${axis} < 0i || t${axis} % ${i32(stride)} != 0i) { continue; }`,
    `  let ${o} = u32(t${axis} / ${i32(stride)});`,
    `  if (${o} >= ${outSize}) { continue; }`,
    ...body.map((line) => `  ${line}`),
    `}`,
  ];
}

// dx[n, c, iy, ix] = Σ_o,ky,kx g[n, o, oy, ox] · w[o, c, ky, kx] over the windows covering (iy, ix).
export function conv2dGradInput({ node, operand, shapeOf }: RootContext<"conv2d_grad_input">): RootKernel {
  const [, o, oh, ow] = shapeOf(0).map(dim);
  const [, , kh, kw] = shapeOf(1) as number[];
  const [, c] = node.shape.map(dim);
  const { stride, padding } = node.attrs;
  const g = operand(0);
  const weight = operand(1);
  const inner = coveringLoop("x", "ix", kw!, stride[1], padding[1], ow!, [
    `acc += ${g(`((n * ${o} + oc) * ${oh} + oy) * ${ow} + ox`)} * ${weight(`((oc * ${c} + ci) * ${kh}u + u32(ky)) * ${kw}u + u32(kx)`)};`,
  ]);
  return {
    mode: "element",
    count: node.shape,
    body: [
      ...nchw("i", node.shape, ["n", "ci", "iy", "ix"]),
      `var acc = 0.0f;`,
      `for (var oc = 0u; oc < ${o}; oc++) {`,
      ...coveringLoop("y", "iy", kh!, stride[0], padding[0], oh!, inner).map((line) => `  ${line}`),
      `}`,
      `return acc;`,
    ].join("\n  "),
  };
}

// dw[o, c, ki, kj] = Σ_n,oy,ox x[n, c, oy·sh + ki − ph, ox·sw + kj − pw] · g[n, o, oy, ox]: a long
// sum for few outputs, so a workgroup shares each output.
export function conv2dGradWeight({ node, operand, shapeOf, output }: RootContext<"conv2d_grad_weight">): RootKernel {
  const [, c, h, w] = shapeOf(0).map(dim);
  const [, o, oh, ow] = shapeOf(1).map(dim);
  const [, , kh, kw] = node.shape as number[];
  const { stride, padding } = node.attrs;
  const x = operand(0);
  const g = operand(1);
  const count = product([shapeOf(0)[0]!, shapeOf(1)[2]!, shapeOf(1)[3]!]);
  return {
    mode: "group",
    count: node.shape,
    declarations: [`var<workgroup> partial: array<f32, ${GROUP}>;`],
    body: [
      `let kj = o % ${kw}u;`,
      `let ki = (o / ${kw}u) % ${kh}u;`,
      `let ci = (o / ${kw * kh!}u) % ${c};`,
      `let oc = o / (${kw * kh!}u * ${c});`,
      `var acc = 0.0f;`,
      `for (var r = lid; r < ${count}; r += ${GROUP}u) {`,
      `  let ox = r % ${ow};`,
      `  let oy = (r / ${ow}) % ${oh};`,
      `  let b = r / (${ow} * ${oh});`,
      `  let iy = i32(oy * ${stride[0]}u + ki) - ${i32(padding[0])};`,
      `  let ix = i32(ox * ${stride[1]}u + kj) - ${i32(padding[1])};`,
      `  if (iy < 0i || iy >= i32(${h}) || ix < 0i || ix >= i32(${w})) { continue; }`,
      `  acc += ${x(`((b * ${c} + ci) * ${h} + u32(iy)) * ${w} + u32(ix)`)} * ${g(`((b * ${o} + oc) * ${oh} + oy) * ${ow} + ox`)};`,
      `}`,
      ...treeSum(),
      `if (lid == 0u) { ${output("o")} = partial[0]; }`,
    ].join("\n  "),
  };
}

function treeSum(): string[] {
  return [
    `partial[lid] = acc;`,
    `workgroupBarrier();`,
    `for (var s = ${GROUP / 2}u; s > 0u; s = s >> 1u) {`,
    `  if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }`,
    `  workgroupBarrier();`,
    `}`,
  ];
}

interface Window {
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

// A WGSL function `name(plane, oy, ox) -> i32`: the flat index in x of the window's first largest
// element (NaN wins), or −1 when the window covers only padding. Named per node, since one kernel
// may inline several pooling ops.
function argmaxFunction(name: string, x: (index: string) => string, xShape: Shape, win: Window): string {
  const [, , h, w] = xShape.map(dim);
  return [
    `fn ${name}(plane: u32, oy: u32, ox: u32) -> i32 {`,
    `  let top = i32(oy * ${win.stride[0]}u) - ${i32(win.padding[0])};`,
    `  let left = i32(ox * ${win.stride[1]}u) - ${i32(win.padding[1])};`,
    `  var best = -1i;`,
    `  var best_value = 0.0f;`,
    `  for (var r = max(top, 0i); r < min(top + ${i32(win.kernel[0])}, i32(${h})); r++) {`,
    `    for (var q = max(left, 0i); q < min(left + ${i32(win.kernel[1])}, i32(${w})); q++) {`,
    `      let at = plane + u32(r) * ${w} + u32(q);`,
    `      let v = ${x("at")};`,
    `      if (best < 0i || v > best_value || v != v) {`,
    `        best = i32(at);`,
    `        best_value = v;`,
    `        if (v != v) { return best; }`,
    `      }`,
    `    }`,
    `  }`,
    `  return best;`,
    `}`,
  ].join("\n");
}

// maxpool2d (x → pooled) and maxpool2d_gather ((x, v) → pooled, v read at the argmax).
function maxpoolGather(gather: boolean) {
  return ({ node, operand, shapeOf, unique }: RootContext<"maxpool2d" | "maxpool2d_gather">): RootKernel => {
    const window = unique(`argmax_window_${node.id}`);
    const xShape = shapeOf(0);
    const [, , h, w] = xShape.map(dim);
    const [, , oh, ow] = node.shape.map(dim);
    const source = operand(gather ? 1 : 0);
    return {
      mode: "element",
      count: node.shape,
      declarations: [argmaxFunction(window, operand(0), xShape, node.attrs)],
      body: [
        `let ox = i % ${ow};`,
        `let oy = (i / ${ow}) % ${oh};`,
        `let plane = (i / (${ow} * ${oh})) * ${h} * ${w};`,
        `let at = ${window}(plane, oy, ox);`,
        `return select(${source("u32(at)")}, ${gather ? "0.0f" : "(-f32_inf())"}, at < 0i);`,
      ].join("\n  "),
    };
  };
}

// dx[p, iy, ix] = Σ g[p, oy, ox] over the windows covering (iy, ix) whose argmax is (iy, ix).
export function maxpool2dGrad({ node, operand, shapeOf, unique }: RootContext<"maxpool2d_grad">): RootKernel {
  const window = unique(`argmax_window_${node.id}`);
  const xShape = shapeOf(0);
  const [, , h, w] = xShape.map(dim);
  const [, , oh, ow] = shapeOf(1).map(dim);
  const { kernel, stride, padding } = node.attrs;
  const g = operand(1);
  const inner = coveringLoop("x", "ix", kernel[1], stride[1], padding[1], ow!, [
    `if (${window}(plane, oy, ox) == i32(i)) { acc += ${g(`(p * ${oh} + oy) * ${ow} + ox`)}; }`,
  ]);
  return {
    mode: "element",
    count: node.shape,
    declarations: [argmaxFunction(window, operand(0), xShape, node.attrs)],
    body: [
      `let ix = i % ${w};`,
      `let iy = (i / ${w}) % ${h};`,
      `let p = i / (${w} * ${h});`,
      `let plane = p * ${h} * ${w};`,
      `var acc = 0.0f;`,
      ...coveringLoop("y", "iy", kernel[0], stride[0], padding[0], oh!, inner),
      `return acc;`,
    ].join("\n  "),
  };
}

// Average pooling with the padding counted in the divisor (PyTorch's count_include_pad).
export function avgpool2d({ node, operand, shapeOf }: RootContext<"avgpool2d">): RootKernel {
  const [, , h, w] = shapeOf(0).map(dim);
  const [, , oh, ow] = node.shape.map(dim);
  const { kernel, stride, padding } = node.attrs;
  const x = operand(0);
  return {
    mode: "element",
    count: node.shape,
    body: [
      `let ox = i % ${ow};`,
      `let oy = (i / ${ow}) % ${oh};`,
      `let plane = (i / (${ow} * ${oh})) * ${h} * ${w};`,
      `let top = i32(oy * ${stride[0]}u) - ${i32(padding[0])};`,
      `let left = i32(ox * ${stride[1]}u) - ${i32(padding[1])};`,
      `var total = 0.0f;`,
      `for (var r = max(top, 0i); r < min(top + ${i32(kernel[0])}, i32(${h})); r++) {`,
      `  for (var q = max(left, 0i); q < min(left + ${i32(kernel[1])}, i32(${w})); q++) { total += ${x(`plane + u32(r) * ${w} + u32(q)`)}; }`,
      `}`,
      `return total * ${f32(1 / (kernel[0] * kernel[1]))};`,
    ].join("\n  "),
  };
}

// dx[p, iy, ix] = Σ g[p, oy, ox] / (KH·KW) over the windows covering (iy, ix).
export function avgpool2dGrad({ node, operand, shapeOf }: RootContext<"avgpool2d_grad">): RootKernel {
  const [, , h, w] = node.shape.map(dim);
  const [, , oh, ow] = shapeOf(0).map(dim);
  const { kernel, stride, padding } = node.attrs;
  const g = operand(0);
  const inner = coveringLoop("x", "ix", kernel[1], stride[1], padding[1], ow!, [`acc += ${g(`(p * ${oh} + oy) * ${ow} + ox`)} * ${f32(1 / (kernel[0] * kernel[1]))};`]);
  return {
    mode: "element",
    count: node.shape,
    body: [
      `let ix = i % ${w};`,
      `let iy = (i / ${w}) % ${h};`,
      `let p = i / (${w} * ${h});`,
      `var acc = 0.0f;`,
      ...coveringLoop("y", "iy", kernel[0], stride[0], padding[0], oh!, inner),
      `return acc;`,
    ].join("\n  "),
  };
}

export const maxpool2d = maxpoolGather(false);
export const maxpool2dGather = maxpoolGather(true);
