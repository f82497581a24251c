/**
 * Undo steps registered as things are created, run in reverse order exactly once, whether
 * the run ends normally, fails, or is interrupted by a signal.
 */
export class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];
  private ran: Promise<void> | undefined;

  /** True once cleanup has begun: the run must not start anything new. */
  get started(): boolean {
    return this.ran !== undefined;
  }

  add(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  runAll(log: (line: string) => void): Promise<void> {
    this.ran ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.undo();
        } catch (err) {
          log(`cleanup: ${step.what} failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.ran;
  }

  /** SIGINT/SIGTERM clean up, then exit 130/143; a second signal exits at once. */
  onSignals(log: (line: string) => void): void {
    let signalled = false;
    const handler = (signal: NodeJS.Signals) => {
      if (signalled) process.exit(1);
      signalled = true;
      log(`converge: ${signal}, cleaning up`);
      void this.runAll(log).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
}
