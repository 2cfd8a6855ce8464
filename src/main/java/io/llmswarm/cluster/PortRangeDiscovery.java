package io.llmswarm.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.properties.PropertyDefinition;
import com.hazelcast.config.properties.PropertyTypeConverter;
import com.hazelcast.config.properties.SimplePropertyDefinition;
import com.hazelcast.logging.ILogger;
import com.hazelcast.spi.discovery.AbstractDiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryNode;
import com.hazelcast.spi.discovery.DiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryStrategyFactory;
import com.hazelcast.spi.discovery.SimpleDiscoveryNode;

import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A Hazelcast discovery strategy that offers a fixed list of {@code host:port} candidates: the
 * ports of this node's cluster-port range on its own host, so that nodes on one machine find each
 * other while Hazelcast's multicast strategy (registered beside it) finds those on the LAN; TCP/IP
 * join and multicast join cannot run together, two discovery strategies can.
 */
public final class PortRangeDiscovery implements DiscoveryStrategyFactory {

    /** The candidates, comma-separated {@code host:port}. */
    static final PropertyDefinition CANDIDATES = new SimplePropertyDefinition("candidates", PropertyTypeConverter.STRING);

    @Override
    public Class<? extends DiscoveryStrategy> getDiscoveryStrategyType() {
        return Strategy.class;
    }

    @Override
    public DiscoveryStrategy newDiscoveryStrategy(DiscoveryNode node, ILogger logger, Map<String, Comparable> properties) {
        return new Strategy(logger, properties);
    }

    @Override
    public Collection<PropertyDefinition> getConfigurationProperties() {
        return List.of(CANDIDATES);
    }

    static final class Strategy extends AbstractDiscoveryStrategy {

        private final List<DiscoveryNode> candidates = new ArrayList<>();

        Strategy(ILogger logger, Map<String, Comparable> properties) {
            super(logger, properties);
            String listed = getOrDefault(CANDIDATES, "");
            for (String candidate : listed.split(",")) {
                if (candidate.isBlank()) {
                    continue;
                }
                int colon = candidate.lastIndexOf(':');
                try {
                    candidates.add(new SimpleDiscoveryNode(new Address(candidate.substring(0, colon).trim(),
                            Integer.parseInt(candidate.substring(colon + 1).trim()))));
                } catch (UnknownHostException e) {
                    throw new IllegalArgumentException("cluster candidate " + candidate + ": unknown host", e);
                }
            }
        }

        @Override
        public Iterable<DiscoveryNode> discoverNodes() {
            return candidates;
        }
    }
}
