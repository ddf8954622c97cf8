/** map, filter and flatMap: stateless, one record in, zero or more out, timestamps kept. */
import { type Output, StatelessOperator } from "../runtime/operator.js";

export class MapOperator extends StatelessOperator {
  constructor(private readonly fn: (value: unknown) => unknown) {
    super();
  }
  processRecord(value: unknown, timestamp: number | undefined, output: Output): void | Promise<void> {
    return output.emit(this.fn(value), timestamp);
  }
}

export class FilterOperator extends StatelessOperator {
  constructor(private readonly predicate: (value: unknown) => boolean) {
    super();
  }
  processRecord(value: unknown, timestamp: number | undefined, output: Output): void | Promise<void> {
    if (this.predicate(value)) return output.emit(value, timestamp);
  }
}

export class FlatMapOperator extends StatelessOperator {
  constructor(private readonly fn: (value: unknown) => Iterable<unknown>) {
    super();
  }
  async processRecord(value: unknown, timestamp: number | undefined, output: Output): Promise<void> {
    for (const out of this.fn(value)) await output.emit(out, timestamp);
  }
}
