// Bytes -> command lines, and nothing else. A line ends with LF (CRLF or a
// bare LF); one longer than the limit is reported once and skipped up to its
// end, so a flood without line ends never grows the buffer past the limit.

export type Framed = { kind: 'line'; line: Buffer } | { kind: 'too-long' };

const LF = 0x0a;
const CR = 0x0d;

export class LineFramer {
  private parts: Buffer[] = [];
  private length = 0;
  private discarding = false;

  /** `maxLine`: the longest line accepted, in octets including its CRLF. */
  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer): Framed[] {
    const out: Framed[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf;
      if (this.discarding) {
        if (lf >= 0) this.discarding = false;
      } else if (this.length + (end - start) + (lf >= 0 ? 1 : 0) > this.maxLine) {
        // The CR before the LF counts too; a line that ends exactly at the limit is fine.
        this.parts = [];
        this.length = 0;
        out.push({ kind: 'too-long' });
        if (lf < 0) this.discarding = true;
      } else if (lf < 0) {
        this.parts.push(chunk.subarray(start));
        this.length += chunk.length - start;
      } else {
        let line = this.parts.length ? Buffer.concat([...this.parts, chunk.subarray(start, end)]) : chunk.subarray(start, end);
        this.parts = [];
        this.length = 0;
        if (line.length && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        out.push({ kind: 'line', line: Buffer.from(line) });
      }
      start = lf < 0 ? chunk.length : lf + 1;
    }
    return out;
  }
}
