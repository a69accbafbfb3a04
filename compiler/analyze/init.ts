// Initializers as written in a layer's `init:` argument or a train block's `init` setting:
// `he_normal`, `normal(std: 0.01)`, `uniform(-0.1, 0.1)`, `constant(0.5)`, `zeros`, ... Both the
// model analyzer and the train analyzer read them through `parseInitializer`, so the two places
// accept exactly the same spellings. PyTorch's names (`xavier_*`, `kaiming_*`) are aliases.

import type { Expression } from "../../grammar/ast.ts";
import { closest, type DiagnosticBag } from "../diagnostics/registry.ts";
import type { Initializer } from "../ir/graph.ts";
import { bindArguments, type ParamSpec, type Signature } from "./args.ts";

const number = { kind: "number" } as const;
const positive = { kind: "number", min: 0, minExclusive: true } as const;

interface InitRow {
  params: ParamSpec[];
  make(values: Record<string, number>): Initializer;
}

const gain = (value: number): ParamSpec => ({ name: "gain", type: positive, default: value, doc: "scales the standard deviation or bound" });

// Kaiming's gain for ReLU is √2 (PyTorch's calculate_gain("relu")); Glorot's default gain is 1.
const INITIALIZERS: Record<string, InitRow> = {
  zeros: { params: [], make: () => ({ kind: "zeros" }) },
  ones: { params: [], make: () => ({ kind: "ones" }) },
  constant: {
    params: [{ name: "value", type: number, doc: "the value every element starts at" }],
    make: (v) => ({ kind: "constant", value: v.value! }),
  },
  uniform: {
    params: [
      { name: "low", type: number, default: 0, doc: "the lower bound" },
      { name: "high", type: number, default: 1, doc: "the upper bound" },
    ],
    make: (v) => ({ kind: "uniform", low: v.low!, high: v.high! }),
  },
  normal: {
    params: [
      { name: "mean", type: number, default: 0, positional: false, doc: "the mean" },
      { name: "std", type: positive, default: 1, doc: "the standard deviation" },
    ],
    make: (v) => ({ kind: "normal", mean: v.mean!, std: v.std! }),
  },
  glorot_uniform: { params: [gain(1)], make: (v) => ({ kind: "glorot_uniform", gain: v.gain! }) },
  glorot_normal: { params: [gain(1)], make: (v) => ({ kind: "glorot_normal", gain: v.gain! }) },
  he_uniform: { params: [gain(Math.SQRT2)], make: (v) => ({ kind: "he_uniform", gain: v.gain! }) },
  he_normal: { params: [gain(Math.SQRT2)], make: (v) => ({ kind: "he_normal", gain: v.gain! }) },
  torch_default: { params: [], make: () => ({ kind: "torch_default" }) },
};

const ALIASES: Record<string, string> = {
  xavier_uniform: "glorot_uniform",
  xavier_normal: "glorot_normal",
  kaiming_uniform: "he_uniform",
  kaiming_normal: "he_normal",
};

export const INITIALIZER_NAMES: readonly string[] = [...Object.keys(INITIALIZERS), ...Object.keys(ALIASES)];

// The initializer `expression` denotes, or null after reporting why it is not one.
export function parseInitializer(expression: Expression, bag: DiagnosticBag): Initializer | null {
  const site =
    expression.type === "Identifier"
      ? { name: expression.name, nameSpan: expression.span, args: [] }
      : expression.type === "Call"
        ? { name: expression.callee.name, nameSpan: expression.callee.span, args: expression.args }
        : null;
  if (!site) {
    bag.report("E0405", expression.span, {
      args: { name: "init", expected: "an initializer such as `he_normal` or `normal(std: 0.01)`", got: "another kind of expression" },
    });
    return null;
  }
  const canonical = ALIASES[site.name] ?? site.name;
  const row = Object.hasOwn(INITIALIZERS, canonical) ? INITIALIZERS[canonical] : undefined;
  if (!row) {
    const suggestion = closest(site.name, INITIALIZER_NAMES);
    bag.report("E0216", site.nameSpan, {
      args: { name: site.name },
      hint: suggestion ? `did you mean \`${suggestion}\`?` : `the initializers are ${INITIALIZER_NAMES.map((n) => `\`${n}\``).join(", ")}`,
    });
    return null;
  }
  const signature: Signature = { name: site.name, params: row.params, doc: "" };
  const bound = bindArguments(signature, site.args, expression.span, bag);
  if (!bound.ok) return null;
  const values = bound.values as Record<string, number>;
  if (canonical === "uniform" && !(values.low! < values.high!)) {
    bag.report("E0406", bound.spans.high ?? expression.span, {
      args: { name: "high", requirement: `must be greater than \`low\` (${values.low})`, got: values.high! },
    });
    return null;
  }
  return row.make(values);
}
