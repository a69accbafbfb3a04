// The landscape's numbers against closed forms: the loss on the grid of a plane is the formula at
// each grid point, the line between two points passes through both, filter-normalized directions
// have each filter's norm equal to the weights', projection recovers coordinates, and PCA finds
// the plane a trajectory lies in.

import { describe, expect, it } from "vitest";
import { elementDirection, engineLoss, filterNormalizedDirection, filterNorms, gridValues, lineLandscape, type ParamInfo, type Plane, planeLandscape, projectOnPlane } from "../../runtime/analysis/landscape.ts";
import { principalPlane } from "../../runtime/analysis/pca.ts";
import { Rng } from "../../runtime/rng.ts";
import { objective, openSource } from "./helpers.ts";

const axes: Plane["axes"] = [
  { label: "x", offset: 0 },
  { label: "y", offset: 0 },
];

describe("the loss over a plane and along a line", () => {
  it("is the formula at every grid point: x² − y² over the parameters' own plane", async () => {
    const { session } = await openSource(objective("param w: [2] init [0.25, -0.5]", "saddle(w[0], w[1])"));
    try {
      const origin = Float64Array.of(0.25, -0.5);
      const plane: Plane = { origin, directions: [elementDirection(2, 0), elementDirection(2, 1)], axes: [{ label: "w[0]", offset: 0.25 }, { label: "w[1]", offset: -0.5 }], description: "" };
      const surface = await planeLandscape(engineLoss(session.engine), plane, [[-1, 1], [-2, 2]], 9);
      expect(surface.x).toEqual(gridValues(-1, 1, 9).map((a) => a + 0.25));
      expect(surface.y).toEqual(gridValues(-2, 2, 9).map((b) => b - 0.5));
      surface.y.forEach((y, j) =>
        surface.x.forEach((x, i) => {
          expect(surface.loss[j * 9 + i]).toBeCloseTo(x * x - y * y, 12);
        }),
      );
    } finally {
      session.dispose();
    }
  });

  it("is ½·Σλᵢ·wᵢ² on a plane of two arbitrary directions of a bowl", async () => {
    const { session } = await openSource(objective("param w: [3] init [1, -1, 2]", "bowl(w, eigenvalues: [1, 4, 9])"));
    try {
      const origin = Float64Array.of(1, -1, 2);
      const d1 = Float64Array.of(0.5, 1, 0);
      const d2 = Float64Array.of(0, -1, 0.25);
      const surface = await planeLandscape(engineLoss(session.engine), { origin, directions: [d1, d2], axes, description: "" }, [[-1, 1], [-1, 1]], 5);
      const bowl = (w: number[]) => 0.5 * (w[0]! ** 2 + 4 * w[1]! ** 2 + 9 * w[2]! ** 2);
      surface.y.forEach((b, j) =>
        surface.x.forEach((a, i) => {
          const w = [0, 1, 2].map((k) => origin[k]! + a * d1[k]! + b * d2[k]!);
          expect(surface.loss[j * 5 + i]).toBeCloseTo(bowl(w), 12);
        }),
      );
    } finally {
      session.dispose();
    }
  });

  it("passes through both points' losses at t = 0 and t = 1, whatever the grid", async () => {
    const source = `model net {
  input x: [B, 2]
  target y: [B, 1]
  h = dense(x, 4) |> tanh
  logits = dense(h, 1)
  loss bce_with_logits(logits, y)
  regularize l2(1e-3)
}
train net {
  data moons(n: 64, noise: 0.1, seed: 3)
  optimizer sgd(lr: 0.1)
}`;
    const { session, theta } = await openSource(source);
    try {
      const rng = new Rng(7);
      const other = theta.map((v) => v + rng.normal() * 0.5);
      const loss = engineLoss(session.engine);
      const [at0, at1] = [await loss(theta), await loss(other)];
      // 8 points from −0.5 to 1.5 miss t = 0 and t = 1; the anchors add them.
      const line = await lineLandscape(loss, { origin: theta, direction: other.map((v, i) => v - theta[i]!), label: "t", description: "", anchors: [0, 1] }, [-0.5, 1.5], 8);
      expect(line.t).toContain(0);
      expect(line.t).toContain(1);
      expect(line.t).toEqual([...line.t].sort((a, b) => a - b));
      expect(line.loss[line.t.indexOf(0)]).toBe(at0);
      expect(line.loss[line.t.indexOf(1)]).toBeCloseTo(at1, 12);
    } finally {
      session.dispose();
    }
  });
});

describe("filter-normalized random directions (Li et al. 2018)", () => {
  const params: ParamInfo[] = [
    { name: "conv.weight", shape: [3, 2, 2, 2], role: "weight" },
    { name: "conv.bias", shape: [3], role: "bias" },
    { name: "h.weight", shape: [4, 6], role: "weight" },
    { name: "bn.scale", shape: [4], role: "norm_scale" },
    { name: "w", shape: [5], role: "weight" },
    { name: "s", shape: [], role: "weight" },
  ];
  const size = 3 * 8 + 3 + 24 + 4 + 5 + 1;
  const rng = new Rng(3);
  const theta = Float64Array.from({ length: size }, () => rng.normal() * 2);

  it("scales each filter of every weight to that filter's norm in the weights", () => {
    const d = filterNormalizedDirection(params, theta, 0, "x");
    const norms = filterNorms(params, d, theta);
    // conv: 3 filters (output channels), dense: 4 rows (output units), w: one, s: one.
    expect(norms).toHaveLength(3 + 4 + 1 + 1);
    for (const [direction, weights] of norms) expect(direction).toBeCloseTo(weights, 12);
  });

  it("leaves biases and normalization parameters out, and is seeded", () => {
    const d = filterNormalizedDirection(params, theta, 0, "x");
    expect(Array.from(d.subarray(24, 27))).toEqual([0, 0, 0]);
    expect(Array.from(d.subarray(51, 55))).toEqual([0, 0, 0, 0]);
    expect(filterNormalizedDirection(params, theta, 0, "x")).toEqual(d);
    expect(filterNormalizedDirection(params, theta, 1, "x")).not.toEqual(d);
    expect(filterNormalizedDirection(params, theta, 0, "y")).not.toEqual(d);
  });

  it("keeps a filter whose weights are zero at zero", () => {
    const zeroed = Float64Array.from(theta);
    zeroed.fill(0, 27, 33); // h.weight's first row
    const d = filterNormalizedDirection(params, zeroed, 0, "x");
    expect(Array.from(d.subarray(27, 33))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe("planes", () => {
  it("projection recovers the coordinates of a point in a plane of non-orthogonal directions", () => {
    const origin = Float64Array.of(1, 2, 3, 4);
    const d1 = Float64Array.of(1, 1, 0, 0);
    const d2 = Float64Array.of(1, 0, 1, 0);
    const point = origin.map((v, i) => v + 0.7 * d1[i]! - 1.3 * d2[i]!);
    const [a, b] = projectOnPlane({ origin, directions: [d1, d2], axes, description: "" }, point);
    expect(a).toBeCloseTo(0.7, 12);
    expect(b).toBeCloseTo(-1.3, 12);
  });

  it("PCA finds the plane a trajectory lies in, about its last point", () => {
    const n = 10;
    const rng = new Rng(5);
    const origin = Float64Array.from({ length: n }, () => rng.normal());
    const u = Float64Array.from({ length: n }, (_, i) => (i === 2 ? 1 : 0));
    const v = Float64Array.from({ length: n }, (_, i) => (i === 7 ? 0.6 : i === 4 ? 0.8 : 0));
    const samples = Array.from({ length: 30 }, (_, k) => origin.map((o, i) => o + 3 * Math.cos(k / 5) * u[i]! + Math.sin(k / 3) * v[i]!));
    const pca = principalPlane(samples, origin);
    expect(pca.degenerate).toBe(false);
    expect(pca.explained[0] + pca.explained[1]).toBeCloseTo(1, 12);
    expect(pca.explained[0]).toBeGreaterThan(pca.explained[1]);
    // Every sample is origin + x·d₁ + y·d₂ with its projections x, y.
    for (const s of samples) {
      const [d1, d2] = pca.directions;
      let x = 0;
      let y = 0;
      for (let i = 0; i < n; i++) {
        x += (s[i]! - origin[i]!) * d1[i]!;
        y += (s[i]! - origin[i]!) * d2[i]!;
      }
      for (let i = 0; i < n; i++) expect(origin[i]! + x * d1[i]! + y * d2[i]!).toBeCloseTo(s[i]!, 12);
    }
  });

  it("PCA of a straight trajectory says its second direction is arbitrary, and still gives an orthonormal pair", () => {
    const samples = [0, 1, 2, 3].map((k) => Float64Array.of(k, 2 * k, 0));
    const pca = principalPlane(samples, Float64Array.of(3, 6, 0));
    expect(pca.degenerate).toBe(true);
    const [d1, d2] = pca.directions;
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    expect(Math.abs(dot(d1, Float64Array.of(1, 2, 0))) / Math.sqrt(5)).toBeCloseTo(1, 12);
    expect(dot(d1, d2)).toBeCloseTo(0, 12);
    expect(dot(d2, d2)).toBeCloseTo(1, 12);
  });
});
