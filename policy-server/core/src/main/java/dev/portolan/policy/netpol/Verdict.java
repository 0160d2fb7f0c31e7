package dev.portolan.policy.netpol;

import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.ObjectRef;
import java.util.List;

/** Why one direction of a connection is allowed or denied: the provenance for reports. */
public sealed interface Verdict {
  /** The direction this verdict is about: the server's ingress or the client's egress. */
  PolicyType direction();

  boolean allowed();

  /** No policy with this direction in its {@code policyTypes} selects the pod: not isolated. */
  record NotIsolated(PolicyType direction) implements Verdict {
    @Override
    public boolean allowed() {
      return true;
    }
  }

  /**
   * Isolated, and these rules allow the connection. An explaining call lists every matching rule
   * (so a report can show each one a user might edit); a yes/no call stops at the first.
   */
  record Allowed(PolicyType direction, List<RuleRef> rules) implements Verdict {
    public Allowed {
      rules = List.copyOf(rules);
    }

    @Override
    public boolean allowed() {
      return true;
    }
  }

  /**
   * Ingress from the server pod's own node, which Kubernetes allows whatever the policies say
   * ({@code NetworkPolicySpec.ingress}: "OR if the traffic source is the pod's local node").
   */
  record FromLocalNode(IpAddress node) implements Verdict {
    @Override
    public PolicyType direction() {
      return PolicyType.INGRESS;
    }

    @Override
    public boolean allowed() {
      return true;
    }
  }

  /**
   * Isolated by {@code isolatedBy} (the policies selecting the pod), and no rule of theirs matches.
   */
  record Denied(PolicyType direction, List<ObjectRef> isolatedBy) implements Verdict {
    public Denied {
      isolatedBy = List.copyOf(isolatedBy);
    }

    @Override
    public boolean allowed() {
      return false;
    }
  }
}
