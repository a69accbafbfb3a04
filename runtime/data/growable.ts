// A Float32Array that grows as values are appended, for reading files whose row count is not known
// until the end: memory stays at about 4 bytes per value (at most twice that while growing), where
// an array of JavaScript numbers or strings would take several times more.

export class Float32Builder {
  private data: Float32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Float32Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get(index: number): number {
    return this.data[index]!;
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  // The values, in an array of exactly their length: a view when little of the buffer is unused,
  // since a copy would briefly need memory for both; otherwise a copy, so the slack is freed.
  finish(): Float32Array {
    const unused = this.data.length - this.length;
    return unused <= this.data.length / 8 ? this.data.subarray(0, this.length) : this.data.slice(0, this.length);
  }
}
