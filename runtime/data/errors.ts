// Errors found while reading a data set at run time: a CSV file that is missing, empty or
// malformed, or a split that leaves nothing to train on. The analyzer has already checked what it
// can see without reading the rows (compiler/analyze/train-data*.ts); these are the rest. They are
// the user's mistakes, so the CLI prints `format()` and exits with 1, never a stack trace.

export interface DataErrorLocation {
  file?: string | null;
  row?: number | null;
  column?: string | number | null;
}

export class DataError extends Error {
  // The file as the user should open it (relative to the working directory when it is inside it),
  // or null when the error is not about a file.
  readonly file: string | null;
  // The 1-based line of the file as an editor shows it (the header is line 1), or null when the
  // error is about the whole file.
  readonly row: number | null;
  // The column's header name, or its number counted from 0 (as `label:` counts) when the file has
  // no header; null when the error is about a whole row or file.
  readonly column: string | number | null;

  // `message` is the problem alone; `format()` puts the location in front of it.
  constructor(message: string, location: DataErrorLocation = {}) {
    super(message);
    this.name = "DataError";
    this.file = location.file ?? null;
    this.row = location.row ?? null;
    this.column = location.column ?? null;
  }

  // One line, e.g. `data/iris.csv:14: column "sepal_width": "abc" is not a number`.
  format(): string {
    let where = this.file === null ? "" : this.row === null ? `${this.file}: ` : `${this.file}:${this.row}: `;
    if (this.column !== null) where += typeof this.column === "number" ? `column ${this.column}: ` : `column "${this.column}": `;
    return where + this.message;
  }
}
