import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze, call, kw, model, setting, str } from "./build.ts";

const here = dirname(fileURLToPath(import.meta.url));
const data = (value: Parameters<typeof setting>[1]) => setting("data", value);
const mnistModel = model(["B", 784], { classes: 10 });

describe("data sets", () => {
  it("fills in each data set's defaults", () => {
    const cases: [ReturnType<typeof setting>, ReturnType<typeof model>, object][] = [
      [data(call("mnist")), mnistModel, { kind: "mnist", train: 8000, test: 2000, seed: 1 }],
      [data("iris"), model(["B", 4], { classes: 3 }), { kind: "iris" }],
      [data(call("iris")), model(["B", 4], { classes: 3 }), { kind: "iris" }],
      [data("xor"), model(["B", 2], { classes: 2 }), { kind: "xor", n: 200, noise: 0.1, seed: 1 }],
      [data("moons"), model(["B", 2], { classes: 2 }), { kind: "moons", n: 200, noise: 0.1, seed: 1 }],
      [data("spirals"), model(["B", 2], { classes: 3 }), { kind: "spirals", n: 300, classes: 3, noise: 0.1, seed: 1 }],
      [data(call("blobs", kw("features", 5), kw("classes", 4))), model(["B", 5], { classes: 4 }), { kind: "blobs", n: 300, classes: 4, features: 5, spread: 1, seed: 1 }],
      [data("linear"), model(["B", 1], ["B", 1], "mse"), { kind: "linear", n: 200, weights: [2], bias: 1, noise: 0.1, seed: 1 }],
      [data(call("quadratic", kw("a", [1, 2]), kw("b", [0, 1]))), model(["B", 2], ["B", 1], "mse"), { kind: "quadratic", n: 200, a: [1, 2], b: [0, 1], c: 0, noise: 0.1, seed: 1 }],
    ];
    for (const [given, m, expected] of cases) {
      const { config, codes } = analyze([given], { model: m });
      expect(codes).toEqual([]);
      expect(config?.data).toEqual(expected);
    }
  });

  it("accepts MNIST as images", () => {
    expect(analyze([data(call("mnist"))], { model: model(["B", 1, 28, 28], { classes: 10 }) }).codes).toEqual([]);
  });

  it("checks MNIST's size and split", () => {
    expect(analyze([data(call("mnist", kw("train", 9000), kw("test", 2000)))], { model: mnistModel }).codes).toEqual(["E0708"]);
    const split = setting("split", kw("validation", 0.1), kw("test", 0.1));
    expect(analyze([data(call("mnist")), split], { model: mnistModel }).codes).toEqual(["E0709"]);
  });

  it("reports an unknown data set with a suggestion", () => {
    const { codes, bag } = analyze([data("irsi")]);
    expect(codes).toEqual(["E0604"]);
    expect(bag.items[0]!.hint).toBe("did you mean `iris`?");
    expect(analyze([data(3)]).codes).toEqual(["E0605"]);
  });

  it("checks the feature count against the input, with a note at the input", () => {
    const m = model(["B", 3], { classes: 3 });
    const { codes, bag } = analyze([data("iris")], { model: m });
    expect(codes).toEqual(["E0703"]);
    expect(bag.items[0]!.notes[0]!.span).toEqual(m.inputs[0]!.span);
    expect(bag.items[0]!.message).toBe("`iris` gives 4 features per example, but the input `x` takes 3");
  });

  it("skips the feature check for symbolic dims", () => {
    expect(analyze([data("iris")], { model: model(["B", "D"], { classes: 3 }) }).codes).toEqual([]);
  });

  it("checks class labels against the target", () => {
    expect(analyze([data("iris")], { model: model(["B", 4], { classes: 4 }) }).codes).toEqual(["E0705"]);
    expect(analyze([data("linear")], { model: model(["B", 1], { classes: 2 }) }).codes).toEqual(["E0706"]);
    expect(analyze([data("iris")], { model: model(["B", 4], ["B", 1], "mse") }).codes).toEqual(["E0704"]);
    expect(analyze([data("linear")], { model: model(["B", 1], ["B", 2], "mse") }).codes).toEqual(["E0707"]);
  });

  it("chooses how labels reach the target", () => {
    const encoding = (source: Parameters<typeof setting>[1], m: ReturnType<typeof model>) => analyze([data(source)], { model: m }).config?.target_encoding;
    expect(encoding("iris", model(["B", 4], ["B", 3], "cross_entropy"))).toBe("one_hot");
    expect(encoding("xor", model(["B", 2], ["B", 1], "bce_with_logits"))).toBe("real");
    expect(encoding("moons", model(["B", 2], ["B", 1], "hinge"))).toBe("signed");
    expect(encoding("moons", model(["B", 2], ["B", 1], "perceptron"))).toBe("signed");
    expect(encoding("linear", model(["B", 1], ["B", 1], "mse"))).toBe("real");
  });

  it("needs exactly one input and one target", () => {
    const m = model(["B", 4], { classes: 3 });
    m.inputs.push({ ...m.inputs[0]!, name: "x2" });
    expect(analyze([data("iris")], { model: m }).codes).toEqual(["E0701"]);
  });

  it("skips model checks without a model", () => {
    expect(analyze([data("iris")], { model: null }).codes).toEqual([]);
  });

  it("checks quadratic's coefficients", () => {
    expect(analyze([data(call("quadratic", kw("a", [1, 2]), kw("b", [1])))], { model: model(["B", 2], ["B", 1], "mse") }).codes).toEqual(["E0712"]);
  });

  it("checks argument ranges", () => {
    expect(analyze([data(call("xor", kw("noise", -1)))], { model: model(["B", 2], { classes: 2 }) }).codes).toEqual(["E0406"]);
    expect(analyze([data(call("spirals", kw("classes", 1)))], { model: model(["B", 2], { classes: 1 }) }).codes).toEqual(["E0406"]);
    expect(analyze([data(call("linear", kw("weights", [])))], { model: model(["B", 1], ["B", 1], "mse") }).codes).toEqual(["E0406"]);
  });
});

describe("csv data", () => {
  const flowers = (...args: Parameters<typeof kw>[]) => data(call("csv", str("fixtures/flowers.csv"), ...args.map(([k, v]) => kw(k, v))));

  it("reads a CSV source and counts its features from the header", () => {
    const { config, codes } = analyze([flowers(["label", str("species")])], { baseDir: here });
    expect(codes).toEqual([]);
    expect(config?.data).toEqual({ kind: "csv", path: "fixtures/flowers.csv", label: "species", features: null, header: true, delimiter: "," });
  });

  it("counts the chosen features", () => {
    const features = flowers(["label", str("species")], ["features", [str("petal_length"), str("petal_width")]]);
    expect(analyze([features], { baseDir: here }).codes).toEqual(["E0703"]);
    expect(analyze([features], { baseDir: here, model: model(["B", 2], { classes: 3 }) }).codes).toEqual([]);
  });

  it("accepts column numbers without a header", () => {
    const { codes, config } = analyze([flowers(["label", 4], ["header", false])], { baseDir: here });
    expect(codes).toEqual([]);
    expect(config?.data).toMatchObject({ label: 4, header: false });
  });

  it("reports a missing file with its path", () => {
    const { codes, bag } = analyze([data(call("csv", str("nope.csv"), kw("label", str("y"))))], { baseDir: here });
    expect(codes).toEqual(["E0702"]);
    expect(bag.items[0]!.message).toBe("cannot find the data file `nope.csv`");
  });

  it("reports an empty file", () => {
    expect(analyze([data(call("csv", str("fixtures/empty.csv"), kw("label", str("y"))))], { baseDir: here }).codes).toEqual(["E0711"]);
  });

  it("reports an unknown column, listing the columns", () => {
    const { codes, bag } = analyze([flowers(["label", str("class")])], { baseDir: here });
    expect(codes).toEqual(["E0710"]);
    expect(bag.items[0]!.hint).toContain("`species`");
    const wrong = str("petal_lenght");
    const byFeature = analyze([flowers(["label", str("species")], ["features", [str("petal_width"), wrong]])], { baseDir: here, model: model(["B", 2], { classes: 3 }) });
    expect(byFeature.codes).toEqual(["E0710"]);
    expect(byFeature.bag.items[0]!.span).toEqual(wrong.span);
    expect(analyze([flowers(["label", 7], ["header", false])], { baseDir: here }).codes).toEqual(["E0710"]);
    expect(analyze([flowers(["label", str("species")], ["header", false])], { baseDir: here }).codes).toEqual(["E0710"]);
  });

  it("checks label, features and delimiter values", () => {
    expect(analyze([flowers(["label", "species"])], { baseDir: here }).codes).toEqual(["E0405"]);
    expect(analyze([flowers(["label", str("species")], ["features", str("a")])], { baseDir: here }).codes).toEqual(["E0405"]);
    expect(analyze([flowers(["label", str("species")], ["delimiter", str(";;")])], { baseDir: here }).codes).toEqual(["E0406"]);
    expect(analyze([data(call("csv", kw("label", str("y"))))], { baseDir: here }).codes).toEqual(["E0403"]);
  });
});
