// A CSV label column read as class labels, one cell at a time as the rows stream in. Labels are
// either all integers 0..K−1, used as they are, or all names, which map to 0..K−1 in sorted order
// (JavaScript's default string sort, by UTF-16 code unit, so "Setosa" comes before "setosa").
//
// For hinge and perceptron (`signed`) the two classes may also be written −1 and +1: −1 is read
// as class 0, and encodeTargets later maps classes 0/1 to −1/+1. A column that mixes 0 and −1, or
// holds any other number, is an error.

import type { DataErrorLocation } from "./errors.ts";
import { DataError } from "./errors.ts";
import { Float32Builder } from "./growable.ts";
import { isDecimal } from "./numbers.ts";

interface Problem {
  message: string;
  where: DataErrorLocation;
}

export class ClassLabels {
  // A number label as it is, a name as the order of its first appearance (renumbered at the end).
  private readonly values = new Float32Builder();
  private readonly names = new Map<string, number>();
  private numbers = 0;
  private firstNumber: { text: string; where: DataErrorLocation } | null = null;
  private firstName: { text: string; where: DataErrorLocation } | null = null;
  private badNumber: Problem | null = null; // reported only if the column turns out to be numbers
  private minusOne: DataErrorLocation | null = null;
  private zero: DataErrorLocation | null = null;

  constructor(
    private readonly classes: number,
    private readonly signed: boolean,
  ) {}

  add(text: string, file: string, row: number, column: string | number): void {
    if (text === "") throw new DataError("the cell is empty", { file, row, column });
    if (!isDecimal(text)) {
      this.firstName ??= { text, where: { file, row, column } };
      let id = this.names.get(text);
      if (id === undefined) {
        if (this.names.size === this.classes) {
          const before = [...this.names.keys()].sort().map((name) => `"${name}"`).join(", ");
          throw new DataError(
            `label "${text}" would be class number ${this.classes + 1}, but the target has ${this.classes} classes (the labels before it: ${before})`,
            { file, row, column },
          );
        }
        id = this.names.size;
        this.names.set(text, id);
      }
      this.values.push(id);
      return;
    }
    this.numbers++;
    this.firstNumber ??= { text, where: { file, row, column } };
    let value = Number(text);
    if (this.signed && value === -1) {
      this.minusOne ??= { file, row, column };
      value = 0;
    } else if (this.signed && value === 0) this.zero ??= { file, row, column };
    this.values.push(value);
    if (this.badNumber === null && !(Number.isInteger(value) && value >= 0 && value < this.classes)) {
      const message =
        this.signed ? `label ${text} is not a class for hinge or perceptron: write the two classes as 0 and 1, or −1 and +1`
        : !Number.isInteger(value) ? `label ${text} is not a class number (an integer from 0 to ${this.classes - 1})`
        : `label ${text} is out of range 0..${this.classes - 1} (the target has ${this.classes} classes)`;
      this.badNumber = { message, where: { file, row, column } };
    }
  }

  // The labels as class numbers, and the names in class order when the column holds names.
  finish(): { targets: Float32Array; classNames: string[] | null } {
    const targets = this.values.finish();
    if (this.firstName !== null && this.firstNumber !== null) {
      // Mixed numbers and names is almost always a typo in one cell; point at the rarer kind's first.
      const names = targets.length - this.numbers;
      const odd = names <= this.numbers ? this.firstName : this.firstNumber;
      const kind = odd === this.firstName ? "a name, but other labels in this column are numbers" : "a number, but other labels in this column are names";
      throw new DataError(`label "${odd.text}" is ${kind}`, odd.where);
    }
    if (this.firstName === null) {
      if (this.badNumber) throw new DataError(this.badNumber.message, this.badNumber.where);
      if (this.minusOne && this.zero) {
        const later = this.minusOne.row! > this.zero.row! ? this.minusOne : this.zero;
        throw new DataError("the labels mix 0 and −1: write the two classes as 0 and 1, or −1 and +1", later);
      }
      return { targets, classNames: null };
    }
    const classNames = [...this.names.keys()].sort();
    const order = new Float32Array(this.names.size);
    classNames.forEach((name, k) => (order[this.names.get(name)!] = k));
    for (let i = 0; i < targets.length; i++) targets[i] = order[targets[i]!]!;
    return { targets, classNames };
  }
}
