// CST → AST for declarations and statements, one method per grammar rule (expressions are in
// to-ast-expressions.ts). Spans are byte offsets [start, end). After error recovery a CST node may
// lack required children (a token chevrotain inserted has no position, a rule that broke off has no
// value); such a node becomes null and its parent drops it, so the AST is always well-typed and
// holds every construct that was written completely, with no invented names.

import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.ts";
import { byStart, has, identifier, join, numberLiteral, present, rule, rules, spanFrom, token, tokenSpan, tokens } from "./cst.ts";
import { argument, expression, expressionOf, thenExpr } from "./to-ast-expressions.ts";
import type { DiagnosticBag } from "../compiler/diagnostics/registry.ts";
import { describeFound, SETTING_NEEDS_VALUE, STATEMENTS_EXPECTED } from "./errors.ts";

const MODEL_STATEMENTS = ["binding", "inputDecl", "targetDecl", "paramDecl", "outputDecl", "lossDecl", "regularizeDecl"];

export class AstBuilder {
  // Where each token sits in the token stream, to tell consecutive skipped tokens apart.
  private readonly indexOf = new Map<number, number>();

  constructor(
    private readonly bag: DiagnosticBag,
    private readonly text: string,
    private readonly streamTokens: IToken[],
  ) {
    streamTokens.forEach((t, i) => this.indexOf.set(t.startOffset, i));
  }

  program(node: CstNode): A.Program {
    const decls = [
      ...rules(node, "modelDecl").map((n) => this.modelDecl(n)),
      ...rules(node, "blockDecl").map((n) => this.blockDecl(n)),
      ...rules(node, "trainDecl").map((n) => this.trainDecl(n)),
    ].filter(present);
    this.reportSkipped(tokens(node, "Stray"), (found, first) => {
      const hint =
        first.image === "}"
          ? "this `}` closes nothing: is there one `}` too many above?"
          : "a file holds `model NAME { ... }`, `block NAME(...) { ... }` and `train NAME { ... }`; statements and settings go inside the braces";
      this.bag.report("E0106", null, { args: { found }, hint });
    });
    return { type: "Program", body: decls.sort(byStart), comments: [], span: { start: 0, end: this.text.length } };
  }

  // Reports each run of consecutive skipped tokens once. The span covers the run up to the end of
  // its first line, which is where the reader should look, unless the reporter returns
  // "keep-span" because it placed its diagnostic itself.
  private reportSkipped(skipped: IToken[], report: (found: string, first: IToken) => "keep-span" | undefined | void): void {
    const runs: IToken[][] = [];
    for (const t of skipped) {
      const last = runs[runs.length - 1];
      const previous = last?.[last.length - 1];
      if (last && previous && this.indexOf.get(t.startOffset) === (this.indexOf.get(previous.startOffset) ?? -2) + 1) last.push(t);
      else runs.push([t]);
    }
    for (const run of runs) {
      const first = run[0]!;
      const line = run.filter((t) => !this.text.slice(first.startOffset, t.startOffset).includes("\n"));
      const span = join(tokenSpan(first), tokenSpan(line[line.length - 1]!));
      const before = this.bag.items.length;
      const placed = report(describeFound(this.text.slice(span.start, span.end)), first);
      const added = this.bag.items[before];
      if (added && placed !== "keep-span") added.span = span;
    }
  }

  modelDecl(node: CstNode): A.ModelDecl | null {
    const statements = MODEL_STATEMENTS.flatMap((kind) => rules(node, kind).map((n) => this.modelStatement(kind, n)));
    this.reportSkipped(tokens(node, "ModelStray"), (found) => {
      this.bag.report("E0104", null, { args: { expected: STATEMENTS_EXPECTED.model, found } });
    });
    const name = identifier(token(node, "Identifier"));
    if (!name) return null;
    const body = statements.filter(present).sort(byStart);
    return { type: "ModelDecl", name, body, span: spanFrom(token(node, "Model"), name.span, body[body.length - 1]?.span, token(node, "RBrace")) };
  }

  private modelStatement(kind: string, n: CstNode): A.ModelStatement | null {
    switch (kind) {
      case "binding":
        return this.binding(n);
      case "inputDecl":
      case "targetDecl": {
        const name = identifier(token(n, "Identifier"));
        const shapeNode = rule(n, "shape");
        const shape = shapeNode ? this.shape(shapeNode) : null;
        if (!name || !shape) return null;
        return { type: kind === "inputDecl" ? "InputDecl" : "TargetDecl", name, shape, span: spanFrom(token(n, kind === "inputDecl" ? "Input" : "Target"), shape.span) };
      }
      case "paramDecl":
        return this.paramDecl(n);
      case "outputDecl": {
        const name = identifier(token(n, "Identifier"));
        const value = expressionOf(n);
        return name && value ? { type: "OutputDecl", name, value, span: spanFrom(token(n, "Output"), value.span) } : null;
      }
      case "lossDecl": {
        const value = expressionOf(n);
        return value ? { type: "LossDecl", value, span: spanFrom(token(n, "Loss"), value.span) } : null;
      }
      case "regularizeDecl": {
        const value = expressionOf(n);
        if (!value) return null;
        if (value.type !== "Call") {
          this.bag.report("E0107", value.span);
          return null;
        }
        return { type: "RegularizeDecl", value, span: spanFrom(token(n, "Regularize"), value.span) };
      }
      default:
        return null;
    }
  }

  // `param w: [2] init [-1.5, 2]`; the `init` name is the second Identifier token.
  private paramDecl(node: CstNode): A.ParamDecl | null {
    const [nameToken, initToken] = tokens(node, "Identifier");
    const name = identifier(nameToken);
    if (!name) return null;
    const shapeNode = rule(node, "paramShape");
    let shape: A.ShapeExpr | null = null;
    if (token(node, "Colon") || shapeNode) {
      if (!shapeNode || !has(shapeNode, "RBracket")) return null;
      const dimNodes = rules(shapeNode, "dim");
      const dims = dimNodes
        .map((d): A.Dim | null => {
          const number = token(d, "NumberLiteral");
          return number ? numberLiteral(number) : identifier(token(d, "Identifier"));
        })
        .filter(present);
      if (dims.length !== dimNodes.length) return null;
      shape = { type: "ShapeExpr", kind: "f32", kindSpan: null, dims, classes: null, span: spanFrom(token(shapeNode, "LBracket"), ...dims.map((d) => d.span), token(shapeNode, "RBracket")) };
    }
    const init = expressionOf(node);
    if (initToken && !init) return null;
    return { type: "ParamDecl", name, shape, init, span: spanFrom(token(node, "Param"), name.span, shape?.span, init?.span) };
  }

  binding(node: CstNode): A.Binding | null {
    const name = identifier(token(node, "Identifier"));
    const value = expressionOf(node);
    return name && value ? { type: "Binding", name, value, span: join(name.span, value.span) } : null;
  }

  shape(node: CstNode): A.ShapeExpr | null {
    const kindToken = token(node, "F32") ?? token(node, "Class");
    const dimNodes = rules(node, "dim");
    const dims = dimNodes
      .map((d): A.Dim | null => {
        const number = token(d, "NumberLiteral");
        return number ? numberLiteral(number) : identifier(token(d, "Identifier"));
      })
      .filter(present);
    if (dims.length === 0 || dims.length !== dimNodes.length || !has(node, "RBracket")) return null;
    const of = token(node, "Of");
    const classes = token(node, "NumberLiteral");
    if (of && !classes) return null;
    return {
      type: "ShapeExpr",
      kind: kindToken?.image === "class" ? "class" : "f32",
      kindSpan: kindToken ? tokenSpan(kindToken) : null,
      dims,
      classes: classes ? numberLiteral(classes) : null,
      span: spanFrom(kindToken ?? token(node, "LBracket") ?? dims[0]!.span, token(node, "RBracket"), classes),
    };
  }

  blockDecl(node: CstNode): A.BlockDecl | null {
    const paramNodes = rules(node, "blockParam");
    const params = paramNodes
      .map((p): A.BlockParam | null => {
        const name = identifier(token(p, "Identifier"));
        if (!name) return null;
        const defaultNode = rule(p, "expression");
        const value = defaultNode ? expression(defaultNode) : null;
        if (token(p, "Colon") && !value) return null;
        return { type: "BlockParam", name, default: value, span: value ? join(name.span, value.span) : name.span };
      })
      .filter(present);
    const statements = [
      ...rules(node, "binding").map((b) => this.binding(b)),
      ...rules(node, "returnStatement").map((r): A.ReturnStatement | null => {
        const value = expressionOf(r);
        return value ? { type: "ReturnStatement", value, span: spanFrom(token(r, "Return"), value.span) } : null;
      }),
    ].filter(present);
    this.reportSkipped(tokens(node, "BlockStray"), (found) => {
      this.bag.report("E0104", null, { args: { expected: STATEMENTS_EXPECTED.block, found } });
    });
    const name = identifier(token(node, "Identifier"));
    if (!name) return null;
    const body = statements.sort(byStart);
    return { type: "BlockDecl", name, params, body, span: spanFrom(token(node, "Block"), name.span, body[body.length - 1]?.span, token(node, "RBrace")) };
  }

  trainDecl(node: CstNode): A.TrainDecl | null {
    const settings = rules(node, "setting").map((s) => this.setting(s)).filter(present);
    this.reportSkipped(tokens(node, "TrainStray"), (found, first) => {
      // A name that was skipped is a setting's key without a value (`batch` then `}`).
      const index = this.indexOf.get(first.startOffset);
      const after = index === undefined ? undefined : this.streamTokens[index + 1];
      if (first.tokenType.name === "Identifier" && after) {
        this.bag.report("E0105", tokenSpan(after), { args: { found: describeFound(after.image) }, hint: SETTING_NEEDS_VALUE });
        return "keep-span";
      }
      this.bag.report("E0104", null, { args: { expected: STATEMENTS_EXPECTED.train, found } });
      return undefined;
    });
    const model = identifier(token(node, "Identifier"));
    if (!model) return null;
    return { type: "TrainDecl", model, settings, span: spanFrom(token(node, "Train"), model.span, settings[settings.length - 1]?.span, token(node, "RBrace")) };
  }

  setting(node: CstNode): A.Setting | null {
    const key = identifier(token(node, "Identifier"));
    if (!key) return null;
    const args = rules(node, "settingArg").map((a) => this.settingArg(a));
    if (args.length === 0 || !args.every(present)) return null;
    const last = args[args.length - 1]!;
    return { type: "Setting", key, args, span: join(key.span, last.span) };
  }

  private settingArg(node: CstNode): A.Argument | null {
    const keyword = token(node, "Keyword");
    const valueNode = rule(node, "thenExpr");
    const value = keyword ? identifier(keyword) : valueNode ? thenExpr(valueNode) : null;
    return argument(rule(node, "anyName"), value);
  }
}
