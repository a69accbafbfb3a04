// The base of the .nn parser: chevrotain's CstParser with error recovery on, with messages left to
// grammar/errors.ts, and with re-synchronization that resumes at the nearest statement list. The
// grammar itself is in grammar/parser.ts.

import { CstParser, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";

// Chevrotain's own messages are English sentences about token types. grammar/errors.ts writes ours
// from the exception's kind and rule stack, so the only fact passed through the message is the
// name of the token a mismatch expected.
const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => expected.name,
  buildNotAllInputParsedMessage: () => "",
  buildNoViableAltMessage: () => "",
  buildEarlyExitMessage: () => "",
};

export abstract class RecoveringParser extends CstParser {
  constructor(tokens: TokenType[]) {
    super(tokens, { recoveryEnabled: true, nodeLocationTracking: "full", maxLookahead: 3, errorMessageProvider });
  }

  // Chevrotain re-synchronizes after an error at the first token that can follow any rule on the
  // stack, listing the outermost rule's follow set first. Our catch-all categories make the
  // outermost set (the file's `Stray`) match almost every token, so a broken binding would end its
  // whole model. Listing the innermost rule first makes the nearest enclosing statement list
  // resume instead. (An internal method of chevrotain 11's Recoverable trait; the tests in
  // test/grammar/resync.test.ts fail if it stops being called.)
  flattenFollowSet(): TokenType[] {
    const self = this as unknown as { buildFullFollowKeyStack(): unknown[]; getFollowSetFromFollowKey(key: unknown): TokenType[] };
    return self.buildFullFollowKeyStack().reverse().flatMap((key) => self.getFollowSetFromFollowKey(key));
  }

  // Whether the token `offset` ahead is one of `types` (for gates).
  protected nextIs(offset: number, types: TokenType[]): boolean {
    const next: IToken = this.LA(offset);
    return types.includes(next.tokenType);
  }
}
