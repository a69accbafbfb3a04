// The .nn grammar as a chevrotain CstParser with error recovery. One instance is built once and
// reused for every file. Rules produce a CST; grammar/to-ast.ts turns it into the AST.
//
// Error recovery has three layers. Chevrotain inserts or deletes a single token where that makes
// a statement whole (a missing `)`, an extra `:`). Each body (model, block, train) and the file
// itself end their repetition with a catch-all alternative that swallows one token that cannot
// start a statement there, so a garbage statement is skipped and parsing resumes at the next
// statement; the AST builder turns each run of skipped tokens into one diagnostic. And an
// expression that breaks off re-synchronizes at the next token that can follow its statement.

import type { TokenType } from "chevrotain";
import { RecoveringParser } from "./recovering-parser.ts";
import * as T from "./tokens.ts";

// Tokens after which a keyword used as a plain value is complete: `[loss, accuracy]`,
// `early(on: loss)`.
const AFTER_KEYWORD_VALUE: TokenType[] = [T.Comma, T.RParen, T.RBracket];

class NnParser extends RecoveringParser {
  constructor() {
    super(T.allTokens);
    this.performSelfAnalysis();
  }

  // --- declarations -----------------------------------------------------------------------------

  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.trainDecl) },
        { ALT: () => this.CONSUME(T.Stray) },
      ]);
    });
  });

  // model NAME { statement* }
  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.binding) },
        { ALT: () => this.SUBRULE(this.inputDecl) },
        { ALT: () => this.SUBRULE(this.targetDecl) },
        { ALT: () => this.SUBRULE(this.outputDecl) },
        { ALT: () => this.SUBRULE(this.lossDecl) },
        { ALT: () => this.SUBRULE(this.regularizeDecl) },
        { ALT: () => this.SUBRULE(this.paramDecl) },
        // Anything else up to the next statement is skipped (see the top of the file).
        { ALT: () => this.CONSUME(T.ModelStray), IGNORE_AMBIGUITIES: true },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  // block NAME(param, param: default) { statement* }
  blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.blockParam);
      this.MANY({
        GATE: () => !this.nextIs(2, [T.RParen]),
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.blockParam);
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY2(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.binding) },
        { ALT: () => this.SUBRULE(this.returnStatement) },
        { ALT: () => this.CONSUME(T.BlockStray), IGNORE_AMBIGUITIES: true },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  blockParam = this.RULE("blockParam", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.expression);
    });
  });

  // train MODEL { setting* }
  trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.setting) },
        { ALT: () => this.CONSUME(T.TrainStray), IGNORE_AMBIGUITIES: true },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  // --- statements -------------------------------------------------------------------------------

  // key arg, arg, ...   e.g. `batch 128`, `split validation: 0.1, test: 0.1`
  setting = this.RULE("setting", () => {
    this.CONSUME(T.Identifier);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.settingArg) });
  });

  settingArg = this.RULE("settingArg", () => {
    this.OPTION(() => {
      this.SUBRULE(this.anyName);
      this.CONSUME(T.Colon);
    });
    this.OR([
      // A keyword alone is a value here: `metrics loss, accuracy`. Nothing else in a train body
      // starts with a keyword, so this cannot swallow a statement.
      { GATE: () => !this.nextIs(1, [T.Then]), ALT: () => this.CONSUME(T.Keyword), IGNORE_AMBIGUITIES: true },
      { ALT: () => this.SUBRULE(this.thenExpr) },
    ]);
  });

  inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.shape);
  });

  targetDecl = this.RULE("targetDecl", () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.shape);
  });

  // [B, 784] | f32[B, 784] | class[B] of 10
  shape = this.RULE("shape", () => {
    this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.F32) }, { ALT: () => this.CONSUME(T.Class) }]));
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.dim) });
    this.CONSUME(T.RBracket);
    this.OPTION2(() => {
      this.CONSUME(T.Of);
      this.CONSUME(T.NumberLiteral);
    });
  });

  // param w: [2] init [-1.5, 2]   |   param x init 0.5   (a scalar)
  // `init` is an ordinary name, read as the keyword of this statement only when it follows the
  // shape (and is not the start of the next binding, `init = ...`).
  paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.paramShape);
    });
    this.OPTION2({
      GATE: () => this.nextIs(1, [T.Identifier]) && this.LA(1).image === "init" && !this.nextIs(2, [T.Equals]),
      DEF: () => {
        this.CONSUME2(T.Identifier);
        this.SUBRULE(this.expression);
      },
    });
  });

  // [2], [3, 4] or [] (a scalar): a parameter's shape has no batch and may have no dimension.
  paramShape = this.RULE("paramShape", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.dim) });
    this.CONSUME(T.RBracket);
  });

  dim = this.RULE("dim", () => {
    this.OR([{ ALT: () => this.CONSUME(T.NumberLiteral) }, { ALT: () => this.CONSUME(T.Identifier) }]);
  });

  binding = this.RULE("binding", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  outputDecl = this.RULE("outputDecl", () => {
    this.CONSUME(T.Output);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  lossDecl = this.RULE("lossDecl", () => {
    this.CONSUME(T.Loss);
    this.SUBRULE(this.expression);
  });

  // The value must be a call; the AST builder says so when it is not (a clearer message than
  // "expected `(`").
  regularizeDecl = this.RULE("regularizeDecl", () => {
    this.CONSUME(T.Regularize);
    this.SUBRULE(this.expression);
  });

  returnStatement = this.RULE("returnStatement", () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression);
  });

  // --- expressions, loosest first ----------------------------------------------------------------

  // a then b: only in settings (schedules in sequence).
  thenExpr = this.RULE("thenExpr", () => {
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(T.Then);
      this.SUBRULE2(this.expression);
    });
  });

  // a |> f |> g(k: v)
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.additive);
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }, { ALT: () => this.CONSUME(T.At) }]);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  // x ^ 2: binds tighter than unary minus (`-x^2` is `-(x^2)`) and to the right (`a^b^c` is
  // `a^(b^c)`); the exponent may have its own minus (`x^-1`).
  power = this.RULE("power", () => {
    this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE(this.unary);
    });
  });

  // h1.weight, w[0], W[1, 2]
  postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.suffix));
  });

  suffix = this.RULE("suffix", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.SUBRULE(this.anyName);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
      // A name followed by `=` starts the next binding, so it is not read as this expression's
      // value: `h =` with nothing after it is an error, and `p = ...` on the next line survives.
      { GATE: () => !this.nextIs(2, [T.Equals]), ALT: () => this.SUBRULE(this.callOrName) },
      { GATE: () => !this.nextIs(1, [T.Then]) && this.nextIs(2, AFTER_KEYWORD_VALUE), ALT: () => this.CONSUME(T.Keyword) },
    ]);
  });

  // [a, b] or [a, b,]
  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY({
        GATE: () => !this.nextIs(2, [T.RBracket]),
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.expression);
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  parenthesized = this.RULE("parenthesized", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  // relu | dense(x, 256, bias: false) | f(a, b,)
  callOrName = this.RULE("callOrName", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.argument);
        this.MANY({
          GATE: () => !this.nextIs(2, [T.RParen]),
          DEF: () => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.argument);
          },
        });
        this.OPTION3(() => this.CONSUME2(T.Comma));
      });
      this.CONSUME(T.RParen);
    });
  });

  // `x` or `k: x`; two tokens of lookahead tell a keyword argument from a positional one.
  argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.SUBRULE(this.anyName);
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expression);
  });

  // A name where a keyword cannot be meant: a keyword argument's name, a member after `.`.
  anyName = this.RULE("anyName", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Keyword) }]);
  });
}

// Building the parser runs chevrotain's grammar analysis, so it is done once per process.
export const parser = new NnParser();
