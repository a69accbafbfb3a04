// Reads a CSV file record by record without ever holding the whole file: it is read in chunks
// (1 MiB by default), each chunk is cut after its last line break that is outside a quoted cell,
// and the complete records before the cut are parsed by csv-parse and handed to the caller one at
// a time; the rest waits for the next chunk. So a 600 MB file costs the caller's arrays plus a
// chunk, not a 600 MB string and a copy of every record.
//
// Cells are trimmed and blank lines skipped. Line breaks are normalized (CRLF and CR become LF)
// before parsing, because csv-parse counts a CRLF inside a quoted cell as two lines, and the line
// numbers are what the user navigates by; a UTF-8 byte-order mark is dropped. A quote can only
// open or close a quoted cell in well-formed CSV (an escaped quote is two quotes), so counting
// quotes tells whether a line break ends a record; a malformed file is left to csv-parse to report.

import { closeSync, openSync, readSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { CsvError, parse } from "csv-parse/sync";
import { describeFsError, FileReadError, statRegularFile } from "../files.ts";
import { DataError } from "./errors.ts";

export interface CsvReadOptions {
  delimiter: string;
  // Bytes read at a time; tests make it small so records and quoted cells straddle chunks.
  chunkSize?: number;
}

// Called once per record with its cells and the 1-based line it starts on. It may throw a
// DataError to stop reading.
export type OnRecord = (cells: string[], line: number) => void;

const CHUNK_SIZE = 1 << 20;
// One record (a row, with any quoted cells) longer than this is taken for a quote never closed.
const MAX_RECORD = 64 << 20;

// `absolute` is the path to open; `file` is how messages name it.
export function readCsvRecords(absolute: string, file: string, options: CsvReadOptions, onRecord: OnRecord): void {
  const fd = openRegularFile(absolute, file);
  try {
    const records = new RecordCutter(file, options.delimiter, onRecord);
    const buffer = Buffer.alloc(options.chunkSize ?? CHUNK_SIZE);
    const decoder = new StringDecoder("utf8");
    let first = true;
    let carriageReturn = false; // the last chunk ended in CR, which may be half of a CRLF
    for (;;) {
      const length = readSync(fd, buffer, 0, buffer.length, null);
      let text = length === 0 ? decoder.end() : decoder.write(buffer.subarray(0, length));
      if (first && text !== "") {
        text = text.replace(/^\uFEFF/, "");
        first = false;
      }
      if (carriageReturn) text = "\r" + text;
      carriageReturn = length > 0 && text.endsWith("\r");
      if (carriageReturn) text = text.slice(0, -1);
      records.add(text.replace(/\r\n?/g, "\n"));
      if (length === 0) break;
    }
    records.end();
  } finally {
    closeSync(fd);
  }
}

// Paths inside the working directory are shown relative to it, as compilers do, so they can be
// clicked in a terminal; others are shown in full.
export function displayPath(absolute: string): string {
  const local = relative(process.cwd(), absolute);
  return local === "" || local.startsWith("..") || isAbsolute(local) ? absolute : local;
}

function openRegularFile(absolute: string, file: string): number {
  try {
    statRegularFile(absolute);
    return openSync(absolute, "r");
  } catch (error) {
    const reason = error instanceof FileReadError ? error.reason : describeFsError(error);
    throw new DataError(reason === "no such file" ? "cannot find the file" : `cannot read the file: ${reason}`, { file });
  }
}

class RecordCutter {
  private pending = ""; // text after the last complete record
  private scanned = 0; // how much of `pending` has been scanned for quotes and line breaks
  private inQuotes = false;
  private cut = 0; // the end of the last line break outside quotes in `pending`
  private lineOffset = 0; // the lines before `pending`

  constructor(
    private readonly file: string,
    private readonly delimiter: string,
    private readonly onRecord: OnRecord,
  ) {}

  add(text: string): void {
    this.pending += text;
    for (let i = this.scanned; i < this.pending.length; i++) {
      const c = this.pending.charCodeAt(i);
      if (c === 34 /* " */) this.inQuotes = !this.inQuotes;
      else if (c === 10 /* \n */ && !this.inQuotes) this.cut = i + 1;
    }
    this.scanned = this.pending.length;
    if (this.cut > 0) {
      this.parse(this.pending.slice(0, this.cut));
      this.pending = this.pending.slice(this.cut);
      this.scanned = this.pending.length;
      this.cut = 0;
    }
    if (this.pending.length > MAX_RECORD) {
      // Let csv-parse name the problem (a stray quote inside a cell, say); a quote that is still
      // open is reported as never closed.
      this.end();
      this.inQuotes = false;
    }
  }

  end(): void {
    if (this.pending !== "") this.parse(this.pending);
    this.pending = "";
    this.scanned = 0;
  }

  // Parses complete records; `text` begins at line lineOffset + 1.
  private parse(text: string): void {
    let records: string[][];
    try {
      // The fast path: csv-parse's per-record position info costs a quarter of the time, so lines
      // are counted here instead. Blank lines are kept by csv-parse (as one empty cell) so that
      // the count stays right, and skipped below.
      records = parse(text, { delimiter: this.delimiter, relax_column_count: true, trim: true }) as string[][];
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      this.parseUpToError(text);
      throw error; // not reached: parseUpToError reports the error itself
    }
    let line = this.lineOffset + 1;
    for (const record of records) {
      if (record.length > 1 || record[0] !== "") this.onRecord(record, line);
      line += 1 + lineBreaks(record);
    }
    this.lineOffset += countLineBreaks(text);
  }

  // The slow path for a text with a CSV error: csv-parse hands on each record with its position,
  // so the records before the error are read first (their own errors come first, as lines do),
  // and the error is reported where the broken record starts.
  private parseUpToError(text: string): void {
    const offset = this.lineOffset;
    let lastLine = 0; // the line in `text` where the last complete record ended
    try {
      parse(text, {
        delimiter: this.delimiter,
        skip_empty_lines: true,
        relax_column_count: true,
        trim: true,
        // Records are handed on and dropped (null), so csv-parse keeps no array of them.
        on_record: (record: string[], context) => {
          lastLine = context.lines;
          this.onRecord(record, offset + context.lines - lineBreaks(record));
          return null;
        },
      });
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      // csv-parse says where it gave up (for an unclosed quote, the end of the text); the user
      // needs where the broken record starts: the first non-blank line after the last good one.
      const lines = text.split("\n");
      let start = lastLine;
      while (start < lines.length && lines[start]!.trim() === "") start++;
      const message =
        error.code === "CSV_QUOTE_NOT_CLOSED" ? "a quoted cell is never closed"
        : `cannot read the file as CSV: ${error.message.replace(/ (at|on) line \d+/g, "")}`;
      throw new DataError(message, { file: this.file, row: offset + start + 1 });
    }
  }
}

// Line breaks inside a record's quoted cells: it spans that many lines more than one.
function lineBreaks(record: string[]): number {
  let breaks = 0;
  for (const cell of record) breaks += countLineBreaks(cell);
  return breaks;
}

function countLineBreaks(text: string): number {
  let breaks = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) breaks++;
  return breaks;
}
