package dev.portolan.policy.grpc;

import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.policy.resolve.Endpoint;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Overlay;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * An endpoint set on the wire: every address with its {@code WeightedAddr}, in the set's order.
 * Built once per topic value ({@link WireCache}) and shared read-only by every Get stream of the
 * topic; what a client class is told differently is a {@link View} that overrides only the
 * addresses its overlay names.
 */
final class EndpointsWire {
  /** What a Get stream sends for one value as one class sees it. Shared; never modified. */
  interface View {
    View EMPTY = new EndpointsWire(new EndpointSet(false, Map.of(), List.of())).base();

    boolean exists();

    Map<String, String> labels();

    int size();

    String address(int i);

    WeightedAddr addr(int i);

    /** The message for {@code address}, or null when the set does not have it. */
    @Nullable WeightedAddr get(String address);
  }

  private final EndpointSet set;
  private final boolean exists;
  private final Map<String, String> labels;
  private final String[] addresses;
  private final WeightedAddr[] addrs;
  private final Map<String, WeightedAddr> byAddress;
  private final Base base = new Base();
  private final ConcurrentHashMap<Overlay, View> overlaid = new ConcurrentHashMap<>();

  EndpointsWire(EndpointSet set) {
    this.set = set;
    exists = set.exists();
    labels = set.labels();
    int n = set.endpoints().size();
    addresses = new String[n];
    addrs = new WeightedAddr[n];
    byAddress = HashMap.newHashMap(n);
    for (int i = 0; i < n; i++) {
      Endpoint e = set.endpoints().get(i);
      addresses[i] = e.address();
      addrs[i] = Translator.weightedAddr(e);
      byAddress.put(addresses[i], addrs[i]);
    }
  }

  View base() {
    return base;
  }

  /** The set as a class with {@code overlay} sees it; built once per overlay. */
  View view(Overlay overlay) {
    return overlay.isNone() ? base : overlaid.computeIfAbsent(overlay, this::overlay);
  }

  private View overlay(Overlay overlay) {
    Map<String, WeightedAddr> overrides = new HashMap<>();
    for (Endpoint e : set.endpoints()) {
      Endpoint seen = overlay.apply(e);
      if (seen != e) {
        overrides.put(seen.address(), Translator.weightedAddr(seen));
      }
    }
    return overrides.isEmpty() ? base : new Overridden(Map.copyOf(overrides));
  }

  private final class Base implements View {
    @Override
    public boolean exists() {
      return exists;
    }

    @Override
    public Map<String, String> labels() {
      return labels;
    }

    @Override
    public int size() {
      return addresses.length;
    }

    @Override
    public String address(int i) {
      return addresses[i];
    }

    @Override
    public WeightedAddr addr(int i) {
      return addrs[i];
    }

    @Override
    public @Nullable WeightedAddr get(String address) {
      return byAddress.get(address);
    }
  }

  /** The base with a few addresses told something else; holds only those. */
  private final class Overridden implements View {
    private final Map<String, WeightedAddr> overrides;

    Overridden(Map<String, WeightedAddr> overrides) {
      this.overrides = overrides;
    }

    @Override
    public boolean exists() {
      return exists;
    }

    @Override
    public Map<String, String> labels() {
      return labels;
    }

    @Override
    public int size() {
      return addresses.length;
    }

    @Override
    public String address(int i) {
      return addresses[i];
    }

    @Override
    public WeightedAddr addr(int i) {
      WeightedAddr o = overrides.get(addresses[i]);
      return o != null ? o : addrs[i];
    }

    @Override
    public @Nullable WeightedAddr get(String address) {
      WeightedAddr o = overrides.get(address);
      return o != null ? o : byAddress.get(address);
    }
  }
}
