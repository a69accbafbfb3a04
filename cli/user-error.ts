// A mistake of the user's that stops a command (a missing file, a bad option, malformed data, a
// loss that became NaN). Its message is printed as is, without a stack trace, and nnc exits 1.
// Diagnostics about a .nn file are printed by the diagnostics printer instead; this is for the
// rest.
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
