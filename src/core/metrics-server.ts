// The Prometheus endpoint (off unless --metrics ADDR:PORT): GET /metrics answers the text format
// rendered by metrics.ts; every other path is 404 and every other method 405. The event-loop lag
// comes from perf_hooks' monitorEventLoopDelay, reported over the window since the last scrape.
// node:http is loaded when a metrics address is configured (off by default): a start without
// --metrics does not pay for it, and the V8 startup snapshot (scripts/snapshot.mjs) cannot hold
// node:http on Node 20.
import type { Server } from 'node:http';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from '../lib/log.js';
import { renderMetrics, type MetricsInput } from './metrics.js';
import type { ListenAddress } from './metrics-address.js';

export { parseListenAddress, type ListenAddress } from './metrics-address.js';

export class MetricsServer {
  private readonly histogram: IntervalHistogram;

  private constructor(
    private readonly server: Server,
    readonly address: ListenAddress,
    h: IntervalHistogram,
  ) {
    this.histogram = h;
  }

  /** Listens; rejects when the address cannot be bound (in use, not local). */
  static async open(addr: ListenAddress, input: () => Omit<MetricsInput, 'loopLag'>, log: Logger): Promise<MetricsServer> {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let ms: MetricsServer | undefined;
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
        return;
      }
      let body: string;
      try {
        body = renderMetrics({ ...input(), loopLag: ms?.lag() ?? { p50: 0, p99: 0, max: 0 } });
      } catch (e) {
        log.error({ err: String(e) }, `metrics: cannot render: ${(e as Error).message}`);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('cannot render the metrics\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    server.maxConnections = 32;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: addr.host, port: addr.port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      h.disable();
      throw e;
    });
    server.on('error', (e) => log.error({ err: String(e) }, `metrics endpoint: ${String(e)}`));
    ms = new MetricsServer(server, addr, h);
    log.info(`metrics on http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}/metrics`);
    return ms;
  }

  /** The lag over the window since the previous call (seconds), then a fresh window. */
  lag(): { p50: number; p99: number; max: number } {
    const h = this.histogram;
    const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    const r = h.count > 0 ? { p50: s(h.percentile(50)), p99: s(h.percentile(99)), max: s(h.max) } : { p50: 0, p99: 0, max: 0 };
    h.reset();
    return r;
  }

  async close(): Promise<void> {
    this.histogram.disable();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
