package io.llmswarm.bench;

import io.llmswarm.cli.NodeSettings;
import io.llmswarm.cli.Resilience;
import io.llmswarm.cli.SwarmNode;
import io.llmswarm.cluster.Addresses;
import io.llmswarm.cluster.TestClusters;
import io.llmswarm.gateway.ApiKeys;
import io.llmswarm.gateway.GatewayLimits;
import io.llmswarm.gateway.GatewaySettings;
import io.llmswarm.inference.BundledModel;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;

/**
 * The load test: N concurrent streaming clients for M minutes against a node on this machine
 * ({@code --url}), or against an in-process swarm of the bundled demo model it starts itself
 * ({@code --nodes}, layers split evenly); bounded in time and in requests, loopback only. Reports
 * requests ok and failed, tokens, p50/p99 time to first token and inter-token latency, and (for
 * the in-process swarm) the heap used after a full GC before and after the run.
 * With {@code --kill-every SECONDS} it is a soak instead (see {@link #soak}).
 * Not a test: run with {@code java <node JVM options> -cp <test classpath> io.llmswarm.bench.LoadTool
 * [--url URL] [--api-key K] [--nodes 2] [--clients 16] [--seconds 300] [--max-tokens 48] [--max-requests 100000]
 * [--kill-every 300]}.
 */
public final class LoadTool {

    private LoadTool() {
    }

    /** What to run. */
    record Options(String url, String apiKey, int nodes, int clients, Duration duration, int maxTokens, int maxRequests,
                   Duration killEvery) {

        static Options parse(String[] args) {
            String url = null;
            String key = null;
            int nodes = 2;
            int clients = 16;
            long seconds = 300;
            int maxTokens = 48;
            int maxRequests = 100_000;
            Duration killEvery = null;
            for (int i = 0; i < args.length; i += 2) {
                String value = i + 1 < args.length ? args[i + 1] : "";
                switch (args[i]) {
                    case "--url" -> url = value;
                    case "--api-key" -> key = value;
                    case "--nodes" -> nodes = Integer.parseInt(value);
                    case "--clients" -> clients = Integer.parseInt(value);
                    case "--seconds" -> seconds = Long.parseLong(value);
                    case "--minutes" -> seconds = Long.parseLong(value) * 60;
                    case "--max-tokens" -> maxTokens = Integer.parseInt(value);
                    case "--max-requests" -> maxRequests = Integer.parseInt(value);
                    case "--kill-every" -> killEvery = Duration.ofSeconds(Long.parseLong(value));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (clients < 1 || clients > 256 || seconds < 1 || seconds > 3600) {
                throw new IllegalArgumentException("clients must be 1-256 and the run 1 s to 60 min");
            }
            if (killEvery != null && (url != null || killEvery.toSeconds() < 10)) {
                throw new IllegalArgumentException("--kill-every (the soak) runs its own swarm, not --url, and kills at most every 10 s");
            }
            return new Options(url, key, nodes, clients, Duration.ofSeconds(seconds), maxTokens, maxRequests, killEvery);
        }
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("hazelcast.wait.seconds.before.join", "0");
        System.setProperty("hazelcast.logging.type", "none");
        Options options = Options.parse(args);
        if (options.killEvery() != null) {
            soak(options);
            return;
        }
        List<SwarmNode> nodes = new ArrayList<>();
        try {
            URI target;
            if (options.url() != null) {
                target = URI.create(options.url());
                if (!InetAddress.getByName(target.getHost()).isLoopbackAddress()) {
                    throw new IllegalArgumentException("the load tool runs against this machine only; got " + target);
                }
            } else {
                startSwarm(options, nodes);
                target = URI.create("http://127.0.0.1:" + nodes.getFirst().httpPort());
            }
            LoadRun run = new LoadRun(target, options.apiKey(), options.maxTokens());
            run.warmUp(Math.min(8, options.clients()));
            long heapBefore = heapAfterGc();
            LoadRun.Report report = run.run(options.clients(), options.duration(), options.maxRequests());
            long heapAfter = heapAfterGc();
            int sessions = nodes.isEmpty() ? -1 : nodes.stream().mapToInt(n -> n.shard().sessionCount()).sum();
            print(options, report, nodes.isEmpty() ? -1 : heapBefore, nodes.isEmpty() ? -1 : heapAfter, sessions);
            if (!nodes.isEmpty()) {
                // Pipeline states stay in Hazelcast for their TTL: part of the heap right after a run.
                // Once they expired, what is left is what the run leaked.
                System.out.println("pipeline states held: " + nodes.getFirst().cluster().hazelcast()
                        .getMap(Addresses.PIPELINE_MAP).size());
                // Hazelcast drops expired entries lazily, a share per pass: wait (bounded) until none is left.
                var states = nodes.getFirst().cluster().hazelcast().getMap(Addresses.PIPELINE_MAP);
                long waitStart = System.nanoTime();
                Thread.sleep(STATE_TTL.toMillis());
                while (states.size() > 0 && System.nanoTime() - waitStart < Duration.ofMinutes(6).toNanos()) {
                    Thread.sleep(5000);
                }
                System.out.printf(Locale.ROOT, "heap after GC once they expired (%.0f s later): %.1f MiB; states held: %d%n",
                        (System.nanoTime() - waitStart) / 1e9, heapAfterGc() / 1048576.0, states.size());
            }
        } finally {
            for (SwarmNode node : nodes) {
                node.close(Duration.ofSeconds(20));
            }
        }
    }

    static final Duration STATE_TTL = Duration.ofMinutes(1);

    /**
     * The soak: layers 0-3 and 4-7 in this JVM, a second 4-7 node as a process that is killed
     * (SIGKILL) every {@code --kill-every} and started again, N clients throughout. Reports failures
     * by reason (a stream whose tokens differ from its answer counts as one), the requests each
     * incarnation of the killed node served (it must take traffic again after each restart), heap
     * after GC at start and end, and the sessions and KV-cache bytes left on the nodes in this JVM.
     */
    private static void soak(Options options) throws Exception {
        GatewaySettings gateway = new GatewaySettings("127.0.0.1", ApiKeys.none(),
                new GatewayLimits(Math.max(32, options.clients() * 2), Math.max(16, options.clients() * 2)));
        try (SoakNodes swarm = new SoakNodes(BundledModel.path(), SoakNodes.logDir())) {
            swarm.start(gateway, Resilience.defaults().withPipelineStateTtl(STATE_TTL));
            LoadRun run = new LoadRun(URI.create("http://127.0.0.1:" + swarm.head().httpPort()), null, options.maxTokens());
            run.warmUp(Math.min(8, options.clients()));
            long heapBefore = heapAfterGc();
            histogram("start");
            List<String> incarnations = new CopyOnWriteArrayList<>(List.of(swarm.killableId()));
            List<String> events = new CopyOnWriteArrayList<>();
            List<String> heap = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            long end = start + options.duration().toNanos();
            Thread killer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (System.nanoTime() + options.killEvery().toNanos() < end) {
                        Thread.sleep(options.killEvery().toMillis());
                        // Heap after full collections while the streams run, before each kill: flat if nothing leaks.
                        heap.add(String.format(Locale.ROOT, "%.0f s: %.1f MiB (prompt caches %.1f MiB)",
                                (System.nanoTime() - start) / 1e9, heapAfterGc() / 1048576.0,
                                swarm.inProcess().stream().mapToLong(n -> n.shard().promptCache().bytes()).sum() / 1048576.0));
                        String killed = swarm.killableId();
                        swarm.killKillable();
                        double at = (System.nanoTime() - start) / 1e9;
                        String restarted = swarm.startKillable();
                        incarnations.add(restarted);
                        events.add(String.format(Locale.ROOT, "%.0f s: killed %s, %s rejoined after %.1f s", at,
                                killed.substring(0, 8), restarted.substring(0, 8), (System.nanoTime() - start) / 1e9 - at));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    events.add("the killer stopped: " + e);
                }
            });
            LoadRun.Report report = run.run(options.clients(), options.duration(), options.maxRequests());
            killer.join(Duration.ofMinutes(5));
            long heapAfter = heapAfterGc();
            int sessions = swarm.inProcess().stream().mapToInt(n -> n.shard().sessionCount()).sum();
            long kvBytes = swarm.inProcess().stream().mapToLong(n -> n.shard().kvCacheBudget().usedBytes()).sum();
            long cacheBytes = swarm.inProcess().stream().mapToLong(n -> n.shard().promptCache().bytes()).sum();
            print(options, report, heapBefore, heapAfter, sessions);
            events.forEach(e -> System.out.println("  " + e));
            System.out.println("heap after GC during the run, before each kill:");
            heap.forEach(h -> System.out.println("  " + h));
            for (String id : incarnations) {
                System.out.println("  node " + id.substring(0, 8) + " (4-7, process) served "
                        + report.routedThrough().getOrDefault(id, 0) + " requests");
            }
            System.out.printf(Locale.ROOT, "KV-cache bytes held after the run (nodes in this JVM): %d beyond the prompt"
                    + " caches' %d (finished sessions kept for reuse, bounded); sessions: %d%n", kvBytes - cacheBytes, cacheBytes,
                    sessions);
            var states = swarm.head().cluster().hazelcast().getMap(Addresses.PIPELINE_MAP);
            long waitStart = System.nanoTime();
            Thread.sleep(STATE_TTL.toMillis());
            while (states.size() > 0 && System.nanoTime() - waitStart < Duration.ofMinutes(6).toNanos()) {
                Thread.sleep(5000);
            }
            System.out.printf(Locale.ROOT, "heap after GC once pipeline states expired: %.1f MiB (start %.1f MiB)%n",
                    heapAfterGc() / 1048576.0, heapBefore / 1048576.0);
            histogram("end");
        }
    }

    private static void startSwarm(Options options, List<SwarmNode> nodes) throws Exception {
        Path model = BundledModel.path();
        int blocks = 8;
        TestClusters cluster = new TestClusters(options.nodes());
        GatewaySettings gateway = new GatewaySettings("127.0.0.1", ApiKeys.none(),
                new GatewayLimits(Math.max(32, options.clients() * 2), Math.max(16, options.clients() * 2)));
        for (int i = 0; i < options.nodes(); i++) {
            int first = blocks * i / options.nodes();
            int last = blocks * (i + 1) / options.nodes() - 1;
            // Pipeline states kept one minute (ten by default), so that a run of a few minutes reaches
            // the steady state of the map in which they live and heap growth means a leak.
            nodes.add(SwarmNode.start(new NodeSettings(model, first + "-" + last, cluster.member(i), 0, 1, 1L << 30)
                    .withGateway(gateway).withResilience(Resilience.defaults().withPipelineStateTtl(STATE_TTL)))
                    .await(120, TimeUnit.SECONDS));
        }
        TestClusters.awaitTrue(Duration.ofSeconds(60), () -> nodes.getFirst().coordinator().status().isReady(),
                () -> "the demo swarm to be ready");
    }

    /**
     * Writes the JVM's class histogram of live objects (as {@code jcmd PID GC.class_histogram}) to
     * {@code bench/out/soak-histogram-<when>.txt}, so that heap growth over a soak can be traced to classes.
     */
    static void histogram(String when) {
        try {
            Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            Files.writeString(SoakNodes.logDir().resolve("soak-histogram-" + when + ".txt"), String.valueOf(text));
        } catch (Exception e) {
            System.out.println("no class histogram (" + when + "): " + e);
        }
    }

    /** Heap in use after full collections, in bytes. */
    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void print(Options options, LoadRun.Report r, long heapBefore, long heapAfter, int sessions) {
        System.out.printf(Locale.ROOT, "| clients | duration | requests ok | failed | tokens | tokens/s | TTFT p50 | TTFT p99 "
                + "| inter-token p50 | inter-token p99 | heap after GC before → after | sessions open after |%n");
        System.out.printf(Locale.ROOT, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%n");
        System.out.printf(Locale.ROOT, "| %d | %.0f s | %d | %d | %d | %.1f | %.0f ms | %.0f ms | %.1f ms | %.1f ms | %s | %s |%n",
                options.clients(), r.seconds(), r.ok(), r.failed(), r.tokens(), r.tokens() / r.seconds(),
                r.ttft().percentile(50), r.ttft().percentile(99), r.interToken().percentile(50),
                r.interToken().percentile(99),
                heapBefore < 0 ? "n/a (remote node)" : String.format(Locale.ROOT, "%.1f → %.1f MiB",
                        heapBefore / 1048576.0, heapAfter / 1048576.0),
                sessions < 0 ? "n/a" : Integer.toString(sessions));
        if (!r.failures().isEmpty()) {
            System.out.println("failures: " + r.failures());
        }
    }
}
