// Diagnostics about models and blocks: names (E02xx), shapes (E03xx), losses and regularizers
// (E05xx), and the warnings of the model analyzer (kebab-case ids). Mistakes in a single argument
// of a call (a wrong type, a value out of range) are the binder's E04xx codes. See ../registry.ts;
// compiler/analyze/ reports these.
import type { CodeTable } from "../registry.ts";

export const MODEL_CODES: CodeTable = {
  // --- names ------------------------------------------------------------------------------------
  E0201: { severity: "error", title: "unknown-name", message: "unknown name `{name}`" },
  E0202: { severity: "error", title: "unknown-layer", message: "unknown layer or block `{name}`" },
  E0203: { severity: "error", title: "duplicate-name", message: "`{name}` is already defined in this {scope}" },
  E0204: { severity: "error", title: "used-before-definition", message: "`{name}` is used before it is defined" },
  E0205: { severity: "error", title: "duplicate-declaration", message: "a {kind} named `{name}` is already declared" },
  E0206: { severity: "error", title: "unknown-model", message: "there is no model named `{name}`" },
  E0207: { severity: "error", title: "recursive-block", message: "the block `{name}` uses itself" },
  E0208: { severity: "error", title: "duplicate-output", message: "the output `{name}` is declared twice" },
  E0209: { severity: "error", title: "reserved-output", message: "`{name}` is the name of a built-in output (the loss, data_loss, reg_loss and prediction are always outputs)" },
  E0210: { severity: "error", title: "not-a-tensor", message: "`{name}` is {what}, not a tensor" },
  E0211: { severity: "error", title: "block-return", message: "the block `{name}` must end with exactly one `return`" },
  E0212: { severity: "error", title: "pipe-target", message: "the right side of `|>` must be a layer name or a call, not {what}" },
  E0213: { severity: "error", title: "no-input", message: "the model `{name}` has no `input`" },
  E0214: { severity: "error", title: "unknown-parameter-path", message: "`{path}` names no layer or parameter of the model `{model}`" },
  E0215: { severity: "error", title: "expected-tensor", message: "expected a tensor here, but got {what}" },
  E0216: { severity: "error", title: "unknown-initializer", message: "unknown initializer `{name}`" },
  E0217: { severity: "error", title: "repeat-outside-pipe", message: "`repeat` can only be a stage of a pipe: `x |> repeat(n, f(...))`" },
  E0218: { severity: "error", title: "repeat-stage", message: "the second argument of `repeat` must be a layer or block call, not {what}" },
  E0219: { severity: "error", title: "block-without-input", message: "the block `{name}` needs a first parameter: the tensor it is applied to" },

  // --- shapes -----------------------------------------------------------------------------------
  E0301: { severity: "error", title: "bad-dimension", message: "a dimension must be a positive whole number or a name like `B`, but it is {got}" },
  E0302: { severity: "error", title: "broadcast-mismatch", message: "cannot {op} tensors of shapes {left} and {right}" },
  E0303: { severity: "error", title: "matmul-mismatch", message: "cannot multiply matrices of shapes {left} and {right}: the inner sizes {a} and {b} differ" },
  E0304: { severity: "error", title: "rank-mismatch", message: "`{layer}` expects {expected}, but its input has shape {shape}" },
  E0305: { severity: "error", title: "window-too-large", message: "the {layer} window {window} does not fit the input of shape {shape}" },
  E0306: { severity: "error", title: "reshape-size", message: "cannot reshape {from} to {to}: {reason}" },
  E0307: { severity: "error", title: "concat-mismatch", message: "cannot concatenate shapes {left} and {right} along axis {axis}" },
  E0308: { severity: "error", title: "axis-out-of-range", message: "axis {axis} is out of range for a tensor of rank {rank}" },
  E0309: { severity: "error", title: "batchnorm-rank", message: "`batchnorm` normalizes [B, C] or [B, C, H, W], but its input has shape {shape}" },
  E0310: { severity: "error", title: "class-target-as-tensor", message: "the target `{name}` holds class labels, which only a loss can read" },
  E0311: { severity: "error", title: "class-count-missing", message: "the class target `{name}` needs its number of classes: `class[B] of K`" },
  E0312: { severity: "error", title: "classes-on-real", message: "`of {classes}` gives the number of classes of a `class[...]` target, but `{name}` is not one" },
  E0313: { severity: "error", title: "class-input", message: "the input `{name}` cannot hold class labels; only a `target` can be `class[...]`" },
  E0314: { severity: "error", title: "bad-class-count", message: "the number of classes must be a whole number of at least 2, but it is {got}" },
  E0315: { severity: "error", title: "symbolic-size", message: "`{layer}` needs to know {what}, but the input's shape is {shape}" },
  E0316: { severity: "error", title: "class-target-shape", message: "a class target holds one label per example, so its shape must be one dimension like `class[B]`, but it is {shape}" },
  E0317: { severity: "error", title: "too-many-layers", message: "this expands to {count} layers, more than the limit of {limit}" },
  E0318: { severity: "error", title: "too-many-parameters", message: "the model `{model}` has {count} parameters, more than the limit of {limit}" },
  E0319: { severity: "error", title: "too-many-activations", message: "the model `{model}` computes {count} values per example, more than the limit of {limit}" },
  E0320: { severity: "error", title: "bad-index", message: "cannot index a tensor of shape {shape} with [{indices}]: {reason}" },
  E0321: { severity: "error", title: "power-exponent", message: "the exponent of `^` must be a number, but it is {what}" },
  E0322: { severity: "error", title: "param-shape", message: "a parameter's sizes must be positive whole numbers, but `{name}` is declared {shape}" },
  E0323: { severity: "error", title: "param-init-size", message: "the initial value of `{name}` has {count}, but its shape {shape} holds {size}" },

  // --- losses and regularizers ------------------------------------------------------------------
  E0501: { severity: "error", title: "unknown-loss", message: "unknown loss `{name}`" },
  E0502: { severity: "error", title: "missing-loss", message: "the model `{name}` has no `loss`" },
  E0503: { severity: "error", title: "duplicate-loss", message: "the model `{name}` has more than one `loss`" },
  E0504: { severity: "error", title: "loss-target-kind", message: "`{loss}` needs {expected}, but the target `{target}` {got}" },
  E0505: { severity: "error", title: "loss-shape", message: "`{loss}` needs {expected}, but the prediction has shape {prediction} and the target {target}" },
  E0506: { severity: "error", title: "class-count-mismatch", message: "the logits have {logits} classes, but the target `{target}` has {classes}" },
  E0507: { severity: "error", title: "unknown-regularizer", message: "unknown regularizer `{name}`" },
  E0508: { severity: "error", title: "regularizer-selection", message: "`on` expects `weights`, `all` or a list of layer names and parameter paths, but got {got}" },
  E0509: { severity: "error", title: "loss-target-not-target", message: "the second argument of `{loss}` must be a target declared with `target`, but it is {what}" },
  E0510: { severity: "error", title: "loss-not-scalar", message: "a loss written as a formula must be a single number, but this one has shape {shape}" },
  E0511: { severity: "error", title: "loss-without-parameters", message: "the loss of `{name}` depends on no parameter, so there is nothing to train" },

  // --- warnings ---------------------------------------------------------------------------------
  "unused-binding": { severity: "warning", title: "unused-binding", message: "`{name}` is computed but never used" },
  "unused-input": { severity: "warning", title: "unused-input", message: "the input `{name}` is never used" },
  "unused-target": { severity: "warning", title: "unused-target", message: "the target `{name}` is not used by the loss" },
  "unused-param": { severity: "warning", title: "unused-param", message: "the parameter `{name}` is never used, so training leaves it as it is" },
  "unused-block": { severity: "warning", title: "unused-block", message: "the block `{name}` is never used, so it was not checked" },
  "loss-wants-logits": { severity: "warning", title: "loss-wants-logits", message: "`{loss}` applies `{activation}` itself, but its input has already been through `{activation}`" },
  "no-model": { severity: "warning", title: "no-model", message: "this file declares no model, so there is nothing to check or train" },
  "empty-regularizer": { severity: "warning", title: "empty-regularizer", message: "this `{name}` regularizer selects no parameters" },
};
