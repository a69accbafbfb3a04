// The .nn grammar as a chevrotain CstParser with error recovery. One instance is built once and
// reused for every file. Rules produce a CST; grammar/to-ast.ts turns it into the AST.
//
// Keywords are reserved only where a statement begins: `anyName` accepts a keyword wherever a name
// is expected, so `mnist(train: 8000)` and `metrics loss, accuracy` read as a user means them.

import { CstParser, type TokenType } from "chevrotain";
import * as T from "./tokens.ts";

const NAME_TOKENS: TokenType[] = [
  T.Identifier,
  T.Input,
  T.Target,
  T.Output,
  T.Loss,
  T.Regularize,
  T.Return,
  T.Then,
  T.Of,
  T.Class,
  T.F32,
  T.Model,
  T.Block,
  T.Train,
];

class NnParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: "full", maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.trainDecl) },
      ]);
    });
  });

  anyName = this.RULE("anyName", () => {
    this.OR(NAME_TOKENS.map((token) => ({ ALT: () => this.CONSUME(token) })));
  });

  // model NAME { statement* }
  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.SUBRULE(this.anyName);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.modelStatement));
    this.CONSUME(T.RBrace);
  });

  modelStatement = this.RULE("modelStatement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.binding) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.targetDecl) },
      { ALT: () => this.SUBRULE(this.outputDecl) },
      { ALT: () => this.SUBRULE(this.lossDecl) },
      { ALT: () => this.SUBRULE(this.regularizeDecl) },
    ]);
  });

  // block NAME(param, param: default) { statement* }
  blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.SUBRULE(this.anyName);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.blockParam) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.binding) }, { ALT: () => this.SUBRULE(this.returnStatement) }]);
    });
    this.CONSUME(T.RBrace);
  });

  blockParam = this.RULE("blockParam", () => {
    this.SUBRULE(this.anyName);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.expression);
    });
  });

  // train MODEL { setting* }
  trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.SUBRULE(this.anyName);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.setting));
    this.CONSUME(T.RBrace);
  });

  // key arg, arg, ...   e.g. `batch 128`, `split validation: 0.1, test: 0.1`
  setting = this.RULE("setting", () => {
    this.SUBRULE(this.anyName);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.settingArg) });
  });

  settingArg = this.RULE("settingArg", () => {
    this.OPTION(() => {
      this.SUBRULE(this.anyName);
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.thenExpr);
  });

  inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.SUBRULE(this.anyName);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.shape);
  });

  targetDecl = this.RULE("targetDecl", () => {
    this.CONSUME(T.Target);
    this.SUBRULE(this.anyName);
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

  dim = this.RULE("dim", () => {
    this.OR([{ ALT: () => this.CONSUME(T.NumberLiteral) }, { ALT: () => this.SUBRULE(this.anyName) }]);
  });

  binding = this.RULE("binding", () => {
    this.SUBRULE(this.anyName);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  outputDecl = this.RULE("outputDecl", () => {
    this.CONSUME(T.Output);
    this.SUBRULE(this.anyName);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  lossDecl = this.RULE("lossDecl", () => {
    this.CONSUME(T.Loss);
    this.SUBRULE(this.expression);
  });

  regularizeDecl = this.RULE("regularizeDecl", () => {
    this.CONSUME(T.Regularize);
    this.SUBRULE(this.expression);
  });

  returnStatement = this.RULE("returnStatement", () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression);
  });

  // --- expressions, loosest first ----------------------------------------------------------------

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
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  // h1.weight
  postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.SUBRULE(this.anyName);
    });
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
      { ALT: () => this.SUBRULE(this.callOrName) },
    ]);
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RBracket);
  });

  parenthesized = this.RULE("parenthesized", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  // relu | dense(x, 256, bias: false)
  callOrName = this.RULE("callOrName", () => {
    this.SUBRULE(this.anyName);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
      this.CONSUME(T.RParen);
    });
  });

  argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.SUBRULE(this.anyName);
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expression);
  });
}

// Building the parser runs chevrotain's grammar analysis, so it is done once per process.
export const parser = new NnParser();
