package io.llmswarm.cli;

import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of {@code node.jar}. The Vector API is an incubator module, which a jar manifest
 * cannot add; when the running JVM lacks it this class starts the same JVM again with the module
 * added, passing along every JVM option and argument, and exits with the child's status.
 * This class must not touch any class that needs {@code jdk.incubator.vector}.
 */
public final class Main {

    static final String VECTOR_MODULE = "jdk.incubator.vector";

    /** Options the node always wants; Hazelcast otherwise warns on JDK 25. */
    static final List<String> JVM_OPTIONS = List.of(
            "--add-modules", VECTOR_MODULE + ",java.se",
            "--enable-native-access=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.management/sun.management=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    /** Set on the child so that a broken set-up can never relaunch forever. */
    static final String RELAUNCHED_PROPERTY = "llmswarm.relaunched";

    /** The launcher's pid, set on the child: a child whose launcher died (even by SIGKILL) exits too. */
    static final String PARENT_PID_PROPERTY = "llmswarm.parent.pid";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            if (Boolean.getBoolean(RELAUNCHED_PROPERTY)) {
                System.err.println("error: the JVM still lacks " + VECTOR_MODULE
                        + " after relaunching; run with --add-modules " + VECTOR_MODULE);
                System.exit(2);
            }
            System.exit(relaunch(args));
        }
        exitWithLauncher();
        System.exit(Cli.run(args));
    }

    private static int relaunch(String[] args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(JVM_OPTIONS);
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-D" + RELAUNCHED_PROPERTY + "=true");
        command.add("-D" + PARENT_PID_PROPERTY + "=" + ProcessHandle.current().pid());
        command.add("-cp");
        command.add(classPath());
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).inheritIO().start();
        // SIGTERM (what a service manager or Kubernetes sends this process) goes on to the node, which
        // drains and exits; this launcher then exits with its status. Ctrl-C reaches the node from the
        // terminal itself (the whole foreground group gets it), so it is not passed on a second time.
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> child.destroy());
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> { });
        // Any other way out of the launcher takes the node with it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (child.isAlive()) {
                child.destroy();
                try {
                    child.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        return child.waitFor();
    }

    /** In a relaunched JVM: leave when the launcher does, so no orphaned node keeps serving. */
    private static void exitWithLauncher() {
        String parent = System.getProperty(PARENT_PID_PROPERTY);
        if (parent != null) {
            ProcessHandle.of(Long.parseLong(parent)).ifPresentOrElse(
                    launcher -> launcher.onExit().thenRun(() -> System.exit(1)),
                    () -> System.exit(1));
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String classPath() throws URISyntaxException {
        var source = Main.class.getProtectionDomain().getCodeSource();
        if (source != null && source.getLocation() != null) {
            String fromJar = Path.of(source.getLocation().toURI()).toString();
            String declared = System.getProperty("java.class.path", "");
            return declared.isEmpty() || declared.equals(fromJar) ? fromJar : declared;
        }
        return System.getProperty("java.class.path");
    }
}
