/**
 * Runs async tasks one at a time, in call order. A failed task does not stall the queue:
 * its rejection goes to its caller and the next task starts.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
