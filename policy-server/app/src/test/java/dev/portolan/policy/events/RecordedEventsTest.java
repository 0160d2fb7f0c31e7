package dev.portolan.policy.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The manifests source's Events sink keeps the first Event of a name, as the API server does. */
class RecordedEventsTest {

  static WarningEvent event(String name, String message) {
    return new WarningEvent(
        "ns",
        name,
        new WarningEvent.InvolvedObject("networking.k8s.io/v1", "NetworkPolicy", "ns", "p", null),
        "Warning",
        "NetworkPolicyBlocksInboundPort",
        message,
        "portolan-policy-server",
        Instant.parse("2026-01-01T00:00:00Z"),
        1);
  }

  @Test
  void a_second_event_of_the_same_name_is_ignored_and_a_new_name_is_kept() {
    RecordedEvents events = new RecordedEvents();
    events.record(event("p.portolan-1", "first"));
    events.record(event("p.portolan-1", "again"));
    events.record(event("p.portolan-2", "second"));
    assertThat(events.list())
        .extracting(WarningEvent::name, WarningEvent::message, WarningEvent::count)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("p.portolan-1", "first", 1),
            org.assertj.core.groups.Tuple.tuple("p.portolan-2", "second", 1));
  }

  @Test
  void the_oldest_are_forgotten_past_the_limit() {
    RecordedEvents events = new RecordedEvents();
    for (int i = 0; i <= RecordedEvents.LIMIT; i++) {
      events.record(event("e" + i, "m"));
    }
    assertThat(events.list()).hasSize(RecordedEvents.LIMIT);
    assertThat(events.list().getFirst().name()).isEqualTo("e1");
  }

  @Test
  void long_messages_are_cut_as_for_the_api_server() {
    assertThat(event("x", "m".repeat(5000)).message()).hasSize(WarningEvent.MAX_MESSAGE);
  }
}
