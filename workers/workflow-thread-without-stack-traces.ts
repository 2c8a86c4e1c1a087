// Preloaded into a Temporal SDK workflow thread when workflow stack traces are off (see
// workflow-stack-traces.ts): the SDK then finds no promise hook to install, as on a runtime without
// one, and runs workflows without recording a stack per promise.
import v8 from 'node:v8';

const sdkNotice = 'v8.promiseHooks.createHook is not available; stack trace collection will be disabled.';

v8.promiseHooks.createHook = () => {
  throw new Error('workflow stack traces are off (BATON_WORKER_STACK_TRACES)');
};

// The SDK says so once per thread as if something were missing; here it is the worker's setting.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (args[0] !== sdkNotice) warn(...args);
};
