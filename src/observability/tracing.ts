import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, type OpenTelemetrySinks, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import { AsyncLocalContextManager } from './async-context.ts';

/** What a runtime adds to its Temporal client and worker to trace runs; absent when tracing is off. */
export interface Tracing {
  /** The API's Temporal calls (start, Updates, Queries) as spans whose context travels in Temporal headers. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** Activity spans, and the Workflow spans' exporter (workflow code cannot reach the network itself). */
  worker: { interceptors: WorkerInterceptors; sinks: InjectedSinks<OpenTelemetrySinks> };
  /** Bundled into the workflow code: its spans (RunWorkflow, StartActivity) and the context it passes on. */
  workflowInterceptorModules: string[];
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
}

const require = createRequire(import.meta.url);
let installed: { provider: BasicTracerProvider; processor: BatchSpanProcessor; resource: Resource } | undefined;

/**
 * OTLP/HTTP traces to `endpoint` (a collector's base URL; spans go to `<endpoint>/v1/traces`). The
 * tracer provider is the process's global one, made at the first call: a process traces to one place.
 */
export function startTracing(settings: { endpoint: string; serviceName?: string }): Tracing {
  if (!installed) {
    const resource = new Resource({ 'service.name': settings.serviceName ?? 'baton' });
    const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, '')}/v1/traces` }));
    const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
    provider.register({ contextManager: new AsyncLocalContextManager() });
    installed = { provider, processor, resource };
  }
  const { processor, resource } = installed;
  return {
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor({ tracer: trace.getTracer('baton') })],
    worker: {
      interceptors: {
        activity: [(context) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(context), outbound: new OpenTelemetryActivityOutboundInterceptor(context) })],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    flush: () => processor.forceFlush(),
  };
}
