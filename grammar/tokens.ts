// The lexer's tokens, in the order chevrotain tries them. Newlines are not significant: a
// statement ends where the next one's keyword (or `NAME =`) begins. Comments run from `#` to the end
// of the line and go to their own group, so the parser never sees them but `nnc fmt` keeps them.
//
// Every token carries a `label` written the way a message shows it ("`)`", "a name"), because
// chevrotain's errors name tokens by label and grammar/index.ts turns them into our diagnostics.

import { createToken, Lexer, type TokenType } from "chevrotain";

// Categories group tokens for the parser's error recovery (see parser.ts). A category matches any
// token that lists it, so one CONSUME can skip "anything but a declaration keyword".
//
// `Stray`: every token that cannot start a top-level declaration, so the parser can skip it between
// declarations and re-synchronize at the next `model`, `block` or `train`.
export const Stray = createToken({ name: "Stray", pattern: Lexer.NA });
// `TrainStray`, `ModelStray`, `BlockStray`: every token that cannot end or leave that kind of body
// (all but `}` and the declaration keywords) and cannot start one of its statements, so a garbage
// statement inside a body is skipped up to the next statement. A statement keyword is left out of
// its own body's category, so `output = 3` is read as a broken `output` statement, not skipped.
export const TrainStray = createToken({ name: "TrainStray", pattern: Lexer.NA });
export const ModelStray = createToken({ name: "ModelStray", pattern: Lexer.NA });
export const BlockStray = createToken({ name: "BlockStray", pattern: Lexer.NA });
// `Keyword`: every keyword. Keywords are reserved where a statement begins, but a keyword is still
// accepted as the name of a keyword argument (`mnist(train: 8000)`), as a member name (`h.input`)
// and as a plain value where nothing else could follow it (`metrics loss, accuracy`).
export const Keyword = createToken({ name: "Keyword", pattern: Lexer.NA });

const ANYWHERE = [Stray, TrainStray, ModelStray, BlockStray];

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name", categories: ANYWHERE });

// Keywords take precedence over identifiers only when the whole word matches (`longer_alt`), so
// `modeling` is a name and `model` is the keyword. The three declaration keywords belong to no
// stray category: they always end whatever came before them.
function keyword(word: string, categories: TokenType[] = ANYWHERE): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    label: `\`${word}\``,
    categories: [Keyword, ...categories],
  });
}

const MODEL_STATEMENT = [Stray, TrainStray, BlockStray];

export const Model = keyword("model", []);
export const Block = keyword("block", []);
export const Train = keyword("train", []);
export const Input = keyword("input", MODEL_STATEMENT);
export const Target = keyword("target", MODEL_STATEMENT);
export const Output = keyword("output", MODEL_STATEMENT);
export const Loss = keyword("loss", MODEL_STATEMENT);
export const Regularize = keyword("regularize", MODEL_STATEMENT);
// `param w: [2] init [-1.5, 2]`: a parameter of the model that belongs to no layer.
export const Param = keyword("param", MODEL_STATEMENT);
export const Return = keyword("return", [Stray, TrainStray, ModelStray]);
export const Then = keyword("then");
// `of`, `class` and `f32` only appear in shapes (`class[B] of 10`, `f32[B, 4]`).
export const Of = keyword("of");
export const Class = keyword("class");
export const F32 = keyword("f32");

// `42`, `0.5`, `.5`, `1e-3`, `2.5E+4`. A sign is never part of the number: `-1` is unary minus.
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
  categories: ANYWHERE,
});
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: "a string", categories: ANYWHERE });
// An opening quote with no closing quote on its line: matched so the error is "unterminated
// string" instead of "unexpected character". grammar/index.ts reports it and drops it.
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\r\n]|\\.)*\\?/, label: "a string", categories: ANYWHERE });

function punctuation(name: string, text: string, categories: TokenType[] = ANYWHERE): TokenType {
  return createToken({ name, pattern: new RegExp(text.replace(/[|{}()[\]+*/.^]/g, "\\$&")), label: `\`${text}\``, categories });
}

export const Pipe = punctuation("Pipe", "|>");
export const LBrace = punctuation("LBrace", "{");
export const RBrace = punctuation("RBrace", "}", [Stray]);
export const LParen = punctuation("LParen", "(");
export const RParen = punctuation("RParen", ")");
export const LBracket = punctuation("LBracket", "[");
export const RBracket = punctuation("RBracket", "]");
export const Comma = punctuation("Comma", ",");
export const Colon = punctuation("Colon", ":");
export const Equals = punctuation("Equals", "=");
export const Plus = punctuation("Plus", "+");
export const Minus = punctuation("Minus", "-");
export const Star = punctuation("Star", "*");
export const Slash = punctuation("Slash", "/");
export const At = punctuation("At", "@");
export const Caret = punctuation("Caret", "^");
export const Dot = punctuation("Dot", ".");

export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: "comments" });
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });

export const allTokens: TokenType[] = [
  Stray,
  TrainStray,
  ModelStray,
  BlockStray,
  Keyword,
  WhiteSpace,
  Comment,
  Model,
  Block,
  Train,
  Input,
  Target,
  Output,
  Loss,
  Regularize,
  Param,
  Return,
  Then,
  Of,
  Class,
  F32,
  Identifier,
  NumberLiteral,
  StringLiteral,
  UnterminatedString,
  Pipe,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Caret,
  Dot,
];

export const KEYWORDS = ["model", "block", "train", "input", "target", "output", "loss", "regularize", "param", "return", "then", "of", "class", "f32"];

export const lexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
