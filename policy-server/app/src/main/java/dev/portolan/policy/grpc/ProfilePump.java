package dev.portolan.policy.grpc;

import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.resolve.Overlay;
import dev.portolan.policy.resolve.Profile;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/** Destination.GetProfile: the profile, re-sent only when its message changes. */
final class ProfilePump extends StreamPump<Profile, DestinationProfile> {
  private final WireCache.Slot<Profile, Wire> wire;
  private @Nullable DestinationProfile last;

  ProfilePump(
      ServerCallStreamObserver<DestinationProfile> call,
      Pumps pumps,
      WireCache.Slot<Profile, Wire> wire) {
    super("destination.profile", call, pumps);
    this.wire = wire;
  }

  @Override
  @Nullable DestinationProfile next(Versioned<Profile> v) {
    DestinationProfile p = wire.wire(v).view(v.overlay());
    if (p.equals(last)) {
      return null;
    }
    last = p;
    return p;
  }

  /** A profile on the wire, shared by the streams of its topic; per overlay, the class's view. */
  static final class Wire {
    private final Profile profile;
    private final DestinationProfile base;
    private final ConcurrentHashMap<Overlay, DestinationProfile> overlaid =
        new ConcurrentHashMap<>();

    Wire(Profile profile) {
      this.profile = profile;
      this.base = Translator.profile(profile);
    }

    DestinationProfile view(Overlay overlay) {
      return overlay.isNone()
          ? base
          : overlaid.computeIfAbsent(overlay, o -> Translator.profile(o.apply(profile)));
    }
  }
}
