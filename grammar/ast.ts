// The abstract syntax tree of a .nn file. Every node is a member of a discriminated union on
// `type` and carries its source span (byte offsets into the file's text; converted to line and
// column only when printed). The tree is what the parser saw: names are not resolved and shapes
// are not known here; the analyzer reads the tree and produces the IR.

export interface Span {
  start: number; // offset of the first character
  end: number; // offset one past the last character
}

interface NodeBase {
  span: Span;
}

// ---------------------------------------------------------------------------------------------
// The file

export interface Program extends NodeBase {
  type: "Program";
  body: TopLevel[];
  comments: Comment[];
}

export type TopLevel = ModelDecl | BlockDecl | TrainDecl;

export interface Comment extends NodeBase {
  type: "Comment";
  text: string; // without the leading '#'
}

export interface Identifier extends NodeBase {
  type: "Identifier";
  name: string;
}

// `model NAME { ... }`: inputs, targets, layers, outputs, loss and regularizers.
export interface ModelDecl extends NodeBase {
  type: "ModelDecl";
  name: Identifier;
  body: ModelStatement[];
}

// `block NAME(p1, p2: 64) { ...; return expr }`: a reusable piece of network. Each use of a block
// gets its own parameters. The first parameter is the block's input tensor; the others are
// hyper-parameters (numbers, identifiers) with optional defaults.
export interface BlockDecl extends NodeBase {
  type: "BlockDecl";
  name: Identifier;
  params: BlockParam[];
  body: BlockStatement[];
}

export interface BlockParam extends NodeBase {
  type: "BlockParam";
  name: Identifier;
  default: Expression | null;
}

// `train MODEL { data ...; batch 128; ... }`: how the model named MODEL is trained. Settings are
// kept generic here (a key and its arguments); the analyzer knows which keys exist.
export interface TrainDecl extends NodeBase {
  type: "TrainDecl";
  model: Identifier;
  settings: Setting[];
}

// ---------------------------------------------------------------------------------------------
// Statements

export type ModelStatement =
  | InputDecl
  | TargetDecl
  | ParamDecl
  | Binding
  | OutputDecl
  | LossDecl
  | RegularizeDecl;

export type BlockStatement = Binding | ReturnStatement;

// `input x: [B, 784]` or `input x: f32[B, 784]`
export interface InputDecl extends NodeBase {
  type: "InputDecl";
  name: Identifier;
  shape: ShapeExpr;
}

// `target y: class[B] of 10` (integer class labels in 0..9) or `target y: [B, 1]` (real values).
export interface TargetDecl extends NodeBase {
  type: "TargetDecl";
  name: Identifier;
  shape: ShapeExpr;
}

// `[B, 784]`, `f32[B, 1, 28, 28]`, `class[B] of 10`
export interface ShapeExpr extends NodeBase {
  type: "ShapeExpr";
  // "f32" for real tensors (the default when no prefix is written), "class" for integer labels.
  kind: "f32" | "class";
  kindSpan: Span | null; // where the prefix was written, if it was
  dims: Dim[];
  classes: NumberLiteral | null; // the `of K` of a class target
}

export type Dim = NumberLiteral | Identifier;

// `param w: [2] init [-1.5, 2]`: a trainable tensor of the model that belongs to no layer, used in
// expressions like any tensor (objectives over free parameters, a learnable scale). Without a
// shape it is a scalar; without `init` it starts at zeros.
export interface ParamDecl extends NodeBase {
  type: "ParamDecl";
  name: Identifier;
  shape: ShapeExpr | null; // null: a scalar, []
  init: Expression | null;
}

// `h1 = dense(x, 256) |> relu`
export interface Binding extends NodeBase {
  type: "Binding";
  name: Identifier;
  value: Expression;
}

// `output probs = softmax(logits)`
export interface OutputDecl extends NodeBase {
  type: "OutputDecl";
  name: Identifier;
  value: Expression;
}

// `loss cross_entropy(logits, y)`
export interface LossDecl extends NodeBase {
  type: "LossDecl";
  value: Expression;
}

// `regularize l2(1e-4)` or `regularize l1(1e-5, on: [h1, h2])`
export interface RegularizeDecl extends NodeBase {
  type: "RegularizeDecl";
  value: Call;
}

// `return x + dense(h, width)`
export interface ReturnStatement extends NodeBase {
  type: "ReturnStatement";
  value: Expression;
}

// A training setting: `batch 128`, `optimizer adam(lr: 1e-3)`,
// `schedule warmup(steps: 200) then cosine(to: 1e-5)`, `split validation: 0.1, test: 0.1`,
// `metrics accuracy, loss`.
export interface Setting extends NodeBase {
  type: "Setting";
  key: Identifier;
  args: Argument[];
}

// ---------------------------------------------------------------------------------------------
// Expressions

export type Expression =
  | NumberLiteral
  | StringLiteral
  | Identifier
  | MemberExpr
  | IndexExpr
  | ListExpr
  | Call
  | Pipe
  | BinaryExpr
  | UnaryExpr
  | ThenExpr;

export interface NumberLiteral extends NodeBase {
  type: "NumberLiteral";
  value: number;
  raw: string; // as written, so `nnc fmt` keeps `1e-3` as `1e-3`
  isInteger: boolean; // written without '.' or exponent
}

export interface StringLiteral extends NodeBase {
  type: "StringLiteral";
  value: string;
  raw: string;
}

// `h1.weight`: a path to a parameter (used by regularizer selections and `init`).
export interface MemberExpr extends NodeBase {
  type: "MemberExpr";
  object: Expression;
  property: Identifier;
}

// `w[0]`, `W[1, 2]`: the element (or the sub-tensor) at constant indices of the leading axes.
export interface IndexExpr extends NodeBase {
  type: "IndexExpr";
  object: Expression;
  indices: Expression[];
}

// `[0.9, 0.999]`, `[h1, h2]`
export interface ListExpr extends NodeBase {
  type: "ListExpr";
  elements: Expression[];
}

// `dense(x, 256, bias: false)`
export interface Call extends NodeBase {
  type: "Call";
  callee: Identifier;
  args: Argument[];
}

// A positional argument has name null.
export interface Argument extends NodeBase {
  type: "Argument";
  name: Identifier | null;
  value: Expression;
}

// `x |> f` is `f(x)`; `x |> f(a, k: v)` is `f(x, a, k: v)`. The right side is an Identifier or a
// Call (the analyzer reports anything else).
export interface Pipe extends NodeBase {
  type: "Pipe";
  left: Expression;
  right: Expression;
}

// `a + b`, `a - b`, `a * b` (elementwise, with broadcasting), `a @ b` (matrix product), `a ^ p`
// (a power with a constant exponent).
export interface BinaryExpr extends NodeBase {
  type: "BinaryExpr";
  operator: "+" | "-" | "*" | "/" | "@" | "^";
  operatorSpan: Span;
  left: Expression;
  right: Expression;
}

// `-x`
export interface UnaryExpr extends NodeBase {
  type: "UnaryExpr";
  operator: "-";
  argument: Expression;
}

// `warmup(steps: 200) then cosine(to: 1e-5)`: schedules in sequence (only in train settings).
export interface ThenExpr extends NodeBase {
  type: "ThenExpr";
  parts: Expression[];
}

export type Node =
  | Program
  | ModelDecl
  | BlockDecl
  | BlockParam
  | TrainDecl
  | ModelStatement
  | BlockStatement
  | Setting
  | ShapeExpr
  | Expression
  | Argument
  | Comment;
