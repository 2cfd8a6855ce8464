/**
 * The command line ({@code java -jar node.jar}, picocli): {@code node -cluster}, {@code demo},
 * {@code generate}, {@code chat}, {@code tokenize}, {@code make-model}, {@code bench}.
 * <p>
 * A node's settings are declared once, as the options of {@link io.llmswarm.cli.NodeCommand}; an option
 * not given on the command line is filled by {@link io.llmswarm.cli.NodeConfig}, picocli's default-value
 * provider, from {@code LLMSWARM_<NAME>} or else the config file's {@code "name"} (the name is the long
 * option's, {@code --step-timeout} as {@code step_timeout}); converters parse the units. The options
 * become one {@link io.llmswarm.cli.NodeSettings} record, and {@link io.llmswarm.cli.SwarmNode} starts
 * a node from it: cluster, shard or replica verticle, coordinator and gateway.
 */
package io.llmswarm.cli;
