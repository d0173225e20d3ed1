// Prints, last of all, a short account of each failure (CI logs are often read
// from their tail, where vitest's own report may be cut), then one plain
// closing line that any CI can read: "tests: N passed, N failed, N skipped".
import type { Reporter, TestModule } from 'vitest/node';

/** Characters kept of one failure's message: enough for a custom message with its JSON, short enough for a log tail. */
const MESSAGE_CHARS = 1500;
const MAX_FAILURES_SHOWN = 12;

interface ErrorLike {
  message?: string;
  stack?: string;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const failures: string[] = [];
    for (const mod of modules) {
      let failedTests = 0;
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') counts.passed++;
        else if (result.state === 'failed') {
          failedTests++;
          failures.push(describeFailure(`${mod.moduleId.replace(/^.*?\/test\//, 'test/')} > ${test.fullName}`, result.errors ?? []));
        } else counts.skipped++;
      }
      // A file that failed to load, or whose beforeAll failed, counts as one failure.
      if (!failedTests && mod.state() === 'failed') {
        counts.failed++;
        failures.push(describeFailure(mod.moduleId, mod.errors()));
      }
      counts.failed += failedTests;
    }
    if (failures.length) {
      const shown = failures.slice(0, MAX_FAILURES_SHOWN);
      const more = failures.length - shown.length;
      process.stdout.write(`\nfailures, in short:\n${shown.join('\n')}${more > 0 ? `\n... and ${more} more\n` : ''}`);
    }
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

function describeFailure(name: string, errors: ReadonlyArray<ErrorLike>): string {
  const first = errors[0];
  const where = first?.stack?.split('\n').find((line) => /\/test\/.*\.ts:\d+/.test(line))?.trim();
  const message = (first?.message ?? 'failed without an error message').replace(/\u001b\[[0-9;]*m/g, '');
  const cut = message.length > MESSAGE_CHARS ? `${message.slice(0, MESSAGE_CHARS)} [... ${message.length - MESSAGE_CHARS} more characters]` : message;
  return `- ${name}${where ? `\n  ${where}` : ''}\n  ${cut.replace(/\n/g, '\n  ')}\n`;
}
