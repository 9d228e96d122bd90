package dev.parley.bus;

/**
 * Every event-bus address Parley uses, with the body and reply types each carries. Commands are imperative
 * and point-to-point ({@code request}); events are past tense and published. This class doubles as the bus
 * map in ARCHITECTURE.md: keep the two in step.
 */
public final class Addresses {
  private Addresses() {}

  /**
   * Command. Body: none; reply: {@code Integer} conversations rebuilt. Rebuilds the Redis copies of unread counts,
   * window expiries and window timers from PostgreSQL.
   */
  public static final String CONVERSATION_REBUILD_STATE = "conversation.state.rebuild";

  /**
   * Event, published after commit. Body {@link OrgEvent}: {@code conversation.created|updated},
   * {@code message.created|updated}, {@code contact.created|updated}, {@code window.closing|closed}.
   * Consumers filter on {@link OrgEvent#type()}; every event names its organization.
   */
  public static final String EVENTS = "conversation.events";

  /**
   * Event, published. Body {@code JsonObject} (see {@code push.PushMessage}): numbered frames for every socket of
   * an organization, targeted unnumbered frames (notifications, typing), and resets. Every push hub shard of
   * every node consumes it.
   */
  public static final String PUSH = "push.frames";

  /**
   * Command. Body {@code JsonObject} {@code {"organization_id","conversation_id","sender_type":"automation"|"bot",
   * "message":{…},"idempotency_key"}}; reply {@code JsonObject} the stored message (status {@code pending}).
   * Internal services send messages with it; every sending rule applies (a refusal fails with the HTTP status
   * as the failure code and {@code {"error":{"code","message"}}} as the message).
   */
  public static final String DISPATCH_SEND = "dispatch.send";

  /**
   * Event, sent locally after a send committed. Body {@code String} the message id: the dispatcher claims and
   * sends it at once (the periodic poll would find it otherwise).
   */
  public static final String DISPATCH_QUEUED = "dispatch.queued";

  /**
   * Event, sent after the assignee read a conversation. Body {@code JsonObject}
   * {@code {"channel_id","provider_message_id"}}: mark that inbound message read at the provider.
   */
  public static final String DISPATCH_MARK_READ = "dispatch.mark_read";
}
