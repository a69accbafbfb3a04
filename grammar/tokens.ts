// The lexer's tokens, in the order chevrotain tries them. Newlines are not significant: a
// statement ends where the next one's keyword (or `NAME =`) begins. Comments run from `#` to the end
// of the line and go to their own group, so the parser never sees them but `nnc fmt` keeps them.

import { createToken, Lexer, type TokenType } from "chevrotain";

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

// Keywords take precedence over identifiers only when the whole word matches (`longer_alt`), so
// `modeling` is a name and `model` is the keyword.
function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    label: `\`${word}\``,
  });
}

export const Model = keyword("model");
export const Block = keyword("block");
export const Train = keyword("train");
export const Input = keyword("input");
export const Target = keyword("target");
export const Output = keyword("output");
export const Loss = keyword("loss");
export const Regularize = keyword("regularize");
export const Return = keyword("return");
export const Then = keyword("then");
export const Of = keyword("of");
export const Class = keyword("class");
export const F32 = keyword("f32");

export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: "a string" });
// An opening quote with no closing quote on its line: matched so the error is "unterminated
// string" instead of "unexpected character".
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\r\n]|\\.)*/, label: "a string" });

export const Pipe = createToken({ name: "Pipe", pattern: /\|>/, label: "`|>`" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "`{`" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "`}`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "`:`" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "`=`" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "`+`" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "`-`" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "`*`" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "`/`" });
export const At = createToken({ name: "At", pattern: /@/, label: "`@`" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "`.`" });

export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: "comments" });
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });

export const allTokens: TokenType[] = [
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
  Dot,
];

export const KEYWORDS = ["model", "block", "train", "input", "target", "output", "loss", "regularize", "return", "then", "of", "class", "f32"];

export const lexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
